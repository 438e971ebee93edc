import Foundation
import Testing

/// `tickforge report` seen through a browser: a run of the real BTCUSDT sample with quotes and
/// walk-forward splits, its report opened in headless Chromium by `Scripts/test_report_browser.sh`
/// (which installs Debian's chromium when missing), checked for load errors, fetches and script,
/// and for drawn pixels in every chart. Never skipped: a machine without Chromium gets it
/// installed, or the test fails.
@Suite(.serialized)
struct ReportBrowserTests {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/test_report_browser.sh").path

    @Test("the report of the real sample with splits and regimes loads in Chromium and every chart draws")
    func realSampleInChromium() throws {
        let dir = try TemporaryDirectory("tf-report-browser")
        defer { dir.remove() }
        let run = dir.path("run")
        let features = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: run,
                                          ["--splits", "walk-forward:3", "--embargo", "10", "--regimes", "2"])
        try #require(features.status == 0, "\(features.stderrText)")
        let report = try runTickforge(["report", run])
        try #require(report.status == 0, "\(report.stderrText)")

        let started = Date()
        // The screenshot is kept beside the run when REPORT_SCREENSHOT names a file, to look at.
        var arguments = [Self.script, run]
        if let png = ProcessInfo.processInfo.environment["REPORT_SCREENSHOT"] { arguments += ["--png", png] }
        let result = try runProcess("/bin/bash", arguments)
        let seconds = Date().timeIntervalSince(started)
        print("Scripts/test_report_browser.sh (\(String(format: "%.1f", seconds)) s):\n\(result.stdoutText)\(result.stderrText)")
        #expect(result.exited && result.status == 0, "Scripts/test_report_browser.sh failed (\(result.status)):\n\(result.stdoutText)\n\(result.stderrText)")
        let out = result.stdoutText
        #expect(out.contains("all checks passed"))
        // The charts the script must have found and measured, not merely a page that loaded.
        for chart in ["chart-close", "chart-volume", "chart-ewm_vol", "chart-rv_10", "chart-rv_60", "chart-rv_300", "chart-splits", "chart-regimes"] {
            #expect(out.contains("ok   \(chart): ") && out.contains("drawn pixels"), "\(chart) not checked")
        }
    }
}
