import Foundation
import Testing

/// The contract lives in the repository: `docs/FEATURES.md` is the shared specification
/// (`../shared/spec/FEATURES.md` beside the repository, where this checkout has it, or the file
/// `TICKFORGE_SPEC` names), byte for byte.
struct ContractCopyTests {
    static let copy = TestPaths.repository.appendingPathComponent("docs/FEATURES.md").path

    @Test func theRepositoryHoldsTheContract() throws {
        let text = try String(contentsOfFile: Self.copy, encoding: .utf8)
        #expect(text.hasPrefix("# "))
        for section in ["## Inputs", "## Bars", "## Features", "## Targets", "## Files", "## Tolerance"] {
            #expect(text.contains("\n" + section), "docs/FEATURES.md has no \(section) section")
        }
    }

    @Test func theCopyEqualsTheSharedContract() throws {
        let shared = ProcessInfo.processInfo.environment["TICKFORGE_SPEC"]
            ?? TestPaths.repository.deletingLastPathComponent().appendingPathComponent("shared/spec/FEATURES.md").path
        // A fresh clone elsewhere (as CI makes) has no shared folder beside it: then there is
        // nothing to compare with, which the output says.
        guard FileManager.default.fileExists(atPath: shared) else {
            print("ContractCopyTests: no shared contract at \(shared); docs/FEATURES.md not compared")
            return
        }
        let copy = try Data(contentsOf: URL(fileURLWithPath: Self.copy))
        #expect(copy == (try Data(contentsOf: URL(fileURLWithPath: shared))),
                "docs/FEATURES.md differs from \(shared): copy the shared contract over it")
    }
}
