import Testing
import TickCore
import TickIO
import TickStore

@Suite struct FileTests {
    @Test func writeThenReadAndSummarizeByPath() throws {
        let directory = try temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/trades-000001." + PartitionFormat.fileExtension
        let contents = realisticTrades(2_000)
        let bytes = try encode(contents)
        try AtomicFileWriter.write(bytes, to: path)

        #expect(try PartitionFormat.read(path: path) == contents)
        let summary = try PartitionFormat.summarize(path: path, verify: true)
        #expect(summary.fileBytes == bytes.count)
        #expect(summary.fileChecksum == Checksum.crc32(bytes))
        #expect(summary.rowCount == 2_000 && summary.kind == "trades")
        #expect(summary.columns.allSatisfy { $0.checksumOK == true })

        // Cut on disk: reported as truncated, naming the file.
        try AtomicFileWriter.write(Array(bytes.dropLast(100)), to: path)
        let reason = unreadableReason(path: path) { _ = try PartitionFormat.read(path: path) }
        #expect(reason?.hasPrefix("truncated: footer missing") == true)
        try AtomicFileWriter.write([], to: path)
        #expect(unreadableReason(path: path) { _ = try PartitionFormat.summarize(path: path, verify: false) }
                == "truncated: empty file (0 bytes)")
    }

    @Test func missingFileIsAnIOErrorNamingThePath() throws {
        let directory = try temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/absent.tfp"
        do {
            _ = try PartitionFormat.read(path: path)
            Issue.record("reading a missing file succeeded")
        } catch let TickError.io(errorPath, operation, _, _) {
            #expect(errorPath == path && operation == "open")
        }
    }

    @Test func directoryIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { removeDirectory(directory) }
        #expect(throws: TickError.self) { try PartitionFormat.read(path: directory) }
    }
}
