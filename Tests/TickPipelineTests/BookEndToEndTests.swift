import Foundation
import Testing

/// The Book group (`--book`) and the quote columns taken from the book, end to end on the real
/// Binance L2 book rebuilt from the websocket captures (`Scripts/wsfeed_to_tardis.py`), in both
/// Tardis layouts: every value against the independent references (`Scripts/reference_book.py`
/// for the book group and the book's quote stream, `Scripts/reference_features.py` for the
/// quote columns of that stream), the same bytes however the run is cut, and the memory limit.
@Suite(.serialized)
struct BookEndToEndTests {
    static let scripts = TestPaths.repository.appendingPathComponent("Scripts").path

    /// The rebuilt books of BTCUSDT and ETHUSDT, converted once for the suite.
    static let conversions: [String: Result<String, ConversionFailure>] = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tf-books-\(ProcessInfo.processInfo.processIdentifier)").path
        var out: [String: Result<String, ConversionFailure>] = [:]
        for symbol in ["BTC", "ETH"] {
            let feed = TestPaths.real("binance-um-\(symbol)USDT-wsfeed-2024-08-08T2354Z-2400Z.hftbacktest.jsonl.gz")
            let dir = root + "/" + symbol
            do {
                let result = try runProcess("/usr/bin/env", ["python3", scripts + "/wsfeed_to_tardis.py", feed, dir])
                out[symbol] = result.status == 0 ? .success(dir) : .failure(ConversionFailure(description: result.stderrText))
            } catch {
                out[symbol] = .failure(ConversionFailure(description: "\(error)"))
            }
        }
        return out
    }()

    struct ConversionFailure: Error, CustomStringConvertible { var description: String }

    /// The folder of one symbol's converted book files.
    static func books(_ symbol: String) throws -> String { try conversions[symbol]!.get() }

    static func trades(_ symbol: String) -> String { TestPaths.real("binance-um-\(symbol)USDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv") }

    struct Case: Sendable, CustomTestStringConvertible {
        var symbol: String
        var layout: String
        var depth: String
        var interval: String
        var testDescription: String { "\(symbol) \(layout) k=\(depth) at \(interval)" }
    }

    static let cases: [Case] = [
        Case(symbol: "BTC", layout: "incremental_book_L2", depth: "1,5,10", interval: "1s"),
        Case(symbol: "BTC", layout: "book_snapshot_25", depth: "25,1,3", interval: "1s"),
        Case(symbol: "ETH", layout: "incremental_book_L2", depth: "2,20,100", interval: "250ms"),
        Case(symbol: "ETH", layout: "book_snapshot_25", depth: "1,5,10", interval: "1m"),
    ]

    @Test(arguments: cases)
    func everyValueMatchesTheReferences(_ run: Case) throws {
        let books = try Self.books(run.symbol)
        let dir = try TemporaryDirectory("tf-book-ref")
        defer { dir.remove() }
        let book = books + "/" + run.layout + ".csv"
        let trades = Self.trades(run.symbol)
        let out = dir.path("run")
        let result = try runTickforge(["features", "--trades", trades, "--book", book, "--depth-levels", run.depth,
                                       "--interval", run.interval, "--windows", "3,10", "--horizons", "1", "--out", out])
        #expect(result.status == 0, "\(result.stderrText)")
        let reference = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/reference_book.py", "--trades", trades, "--book", book,
                                                        "--depth-levels", run.depth, "--interval", run.interval,
                                                        "--out", dir.path("book.csv"), "--quotes-out", dir.path("quotes.csv")])
        #expect(reference.status == 0, "\(reference.stderrText)")
        let book1 = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("book.csv"), out + "/features.csv"])
        #expect(book1.status == 0 && !book1.stdoutText.contains(" 0 defined cells"), "\(book1.stdoutText)")
        // Every quote column, from the book's quote stream through the version 1 reference.
        let quotes = try Reference.run(trades: trades, quotes: dir.path("quotes.csv"), out: dir.path("quote-reference"),
                                       ["--interval", run.interval, "--windows", "3,10", "--horizons", "1"])
        #expect(quotes.status == 0, "\(quotes.stderrText)")
        let quoteColumns = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("quote-reference/features.csv"), out + "/features.csv"])
        #expect(quoteColumns.status == 0, "\(quoteColumns.stdoutText)")
        let summary = try FeatureRun.summary(out)
        let input = try #require(summary["book"] as? [String: Any])
        #expect(input["crossed_updates"] as? Int == 0)
        try FeatureRun.expectCountsAddUp(out)
    }

    /// The rebuild itself, against the real bookTicker of the same minutes: at each 1 s bar
    /// end the book's top equals the bookTicker's last update with an update id at or below
    /// the book's (100 %), and the incremental and snapshot layouts give the same book group.
    /// At the bar end itself the depth stream lags by its ~50 ms batches: the share of bar ends
    /// whose best bid and ask agree is printed and must stay above 90 % (it is 96.8 % for BTC,
    /// 94.5 % for ETH).
    @Test func theRebuiltTopOfBookIsTheRealOne() throws {
        let dir = try TemporaryDirectory("tf-book-top")
        defer { dir.remove() }
        let data = TestPaths.repository.appendingPathComponent("Fixtures/real").path
        let result = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/check_book_top.py", "--data", data, "--work", dir.path("work"), "--min-agree", "0.9"])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let line = result.stdoutText.split(separator: "\n").first { $0.hasPrefix("\(symbol): price agreement") }
            #expect(line?.contains("aligned by update id 100.00 %") == true && line?.contains("identical: True") == true, "\(line ?? "no line for \(symbol)")")
            print(line ?? "")
        }
    }

    /// The real Tardis samples of both layouts (Fixtures/real/formats) read as their layouts
    /// say, against the reference (trades made up around their times, only for the raster).
    @Test(arguments: [("binance-futures_book_snapshot_25_BTCUSDT.csv", Int64(1_598_918_403_000)),
                      ("deribit_incremental_book_L2_BTC-PERPETUAL.csv", Int64(1_585_699_200_000))])
    func realTardisSamplesMatchTheReference(_ sample: (file: String, startMs: Int64)) throws {
        let dir = try TemporaryDirectory("tf-book-sample")
        defer { dir.remove() }
        let book = TestPaths.repository.appendingPathComponent("Fixtures/real/formats/" + sample.file).path
        var trades = "id,price,qty,quote_qty,time,is_buyer_maker\n"
        for i in 0..<4 { trades += "\(i + 1),100,1,100,\(sample.startMs + Int64(i) * 500),false\n" }
        let tradesPath = try dir.write("trades.csv", trades)
        let flags = ["--depth-levels", "1,2,25", "--interval", "500ms"]
        let out = dir.path("run")
        let result = try runTickforge(["features", "--trades", tradesPath, "--book", book, "--out", out, "--windows", "1,2", "--horizons", "1"] + flags)
        #expect(result.status == 0, "\(result.stderrText)")
        let reference = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/reference_book.py", "--trades", tradesPath, "--book", book,
                                                        "--out", dir.path("reference.csv")] + flags)
        #expect(reference.status == 0, "\(reference.stderrText)")
        let compared = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("reference.csv"), out + "/features.csv"])
        #expect(compared.status == 0 && !compared.stdoutText.contains(" 0 defined cells"), "\(compared.stdoutText)")
    }

    /// Bands from the real book: a bookDepth file at ±0.1 and ±0.2 % (inside the range the
    /// REST snapshot's 1,000 levels cover) every 30 s, against the reference.
    @Test func bandsOfTheRealBookMatchTheReference() throws {
        let dir = try TemporaryDirectory("tf-book-bands")
        defer { dir.remove() }
        let feed = TestPaths.real("binance-um-BTCUSDT-wsfeed-2024-08-08T2354Z-2400Z.hftbacktest.jsonl.gz")
        let converted = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/wsfeed_to_tardis.py", feed, dir.path("book"), "--bands", "0.1,0.2"])
        #expect(converted.status == 0, "\(converted.stderrText)")
        let bands = dir.path("book/bookDepth.csv")
        let flags = ["--bands", bands, "--band-levels", "0.2,0.1", "--windows", "3,10"]
        let out = dir.path("run")
        let result = try runTickforge(["features", "--trades", Self.trades("BTC"), "--out", out, "--horizons", "1"] + flags)
        #expect(result.status == 0, "\(result.stderrText)")
        let reference = try runProcess("/usr/bin/env", ["python3", AsOfSeriesEndToEndTests.reference, "--quiet", "--trades", Self.trades("BTC"),
                                                        "--out", dir.path("reference.csv")] + flags)
        #expect(reference.status == 0, "\(reference.stderrText)")
        let compared = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("reference.csv"), out + "/features.csv"])
        #expect(compared.status == 0 && !compared.stdoutText.contains(" 0 defined cells"), "\(compared.stdoutText)")
        #expect(try StaleQuoteTests.column(out + "/features.csv", "band_imb_0p1").contains { !$0.isEmpty })
    }

    /// The same bytes for any worker count, chunk size, tick partition size, memory limit and
    /// feature partition size, and after a kill at any durable step.
    @Test func outputsDoNotDependOnHowTheRunIsCut() throws {
        let books = try Self.books("ETH")
        let dir = try TemporaryDirectory("tf-book-cut")
        defer { dir.remove() }
        let base = ["features", "--trades", Self.trades("ETH"), "--book", books + "/incremental_book_L2.csv", "--windows", "3,10"]
        #expect(try runTickforge(base + ["--out", dir.path("whole")]).status == 0)
        let expected = FeatureRun.outputs(dir.path("whole"))
        let variants: [[String]] = [["--workers", "1", "--chunk-size", "64KiB", "--tick-partition-rows", "7919"],
                                    ["--memory-limit", "64MiB", "--partition-bars", "17"]]
        for (n, flags) in variants.enumerated() {
            let result = try runTickforge(base + ["--out", dir.path("v\(n)")] + flags)
            #expect(result.status == 0, "\(flags): \(result.stderrText)")
            #expect(FeatureRun.outputs(dir.path("v\(n)")) == expected, "\(flags)")
        }
        let cut = ["--tick-partition-rows", "50000", "--partition-bars", "100"]
        var step = 1
        var killed = 0
        while step < 400 {
            let out = dir.path("kill-\(step)")
            let first = try runTickforge(base + ["--out", out] + cut, environment: ["TICKFORGE_KILL_AT": String(step)])
            if first.exited { break }
            killed += 1
            let resumed = try runTickforge(base + ["--out", out] + cut)
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "killed at step \(step)")
            try? FileManager.default.removeItem(atPath: out)
            step += step < 6 ? 1 : step
        }
        #expect(killed >= 6)
    }

    /// A book file 8× the memory limit (the real BTC book repeated, shifted in time): the
    /// run keeps its peak RSS within 10 % above the limit and still matches the reference.
    @Test func aBookEightTimesTheLimitKeepsTheLimit() throws {
        let books = try Self.books("BTC")
        let dir = try TemporaryDirectory("tf-book-memory")
        defer { dir.remove() }
        let big = dir.path("big.csv")
        // 18 copies of 6 minutes, each 400 s after the one before: > 512 MiB.
        let awk = "NR == 1 { if (c == 0) print; next } { $3 = sprintf(\"%.0f\", $3 + c * 400000000); $4 = sprintf(\"%.0f\", $4 + c * 400000000); print }"
        for copy in 0..<18 {
            let result = try runProcess("/bin/sh", ["-c", "awk -F, -v OFS=, -v c=\(copy) '\(awk)' '\(books)/incremental_book_L2.csv' >> '\(big)'"])
            #expect(result.status == 0, "\(result.stderrText)")
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: big)[.size] as? Int)
        #expect(size >= 8 * (64 << 20))
        let out = dir.path("run")
        // Peak RSS measured from outside, under a small parent: a process spawned by the test
        // runner can report the runner's own high-water mark as its maximum.
        let result = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/peak-rss.py", TestPaths.binary, "features", "--trades", Self.trades("BTC"),
                                                     "--book", big, "--memory-limit", "64MiB", "--out", out])
        #expect(result.status == 0, "\(result.stderrText)")
        let line = try #require(result.stderrText.split(separator: "\n").last { $0.hasPrefix("peak_rss_bytes=") })
        let peak = try #require(Int(line.dropFirst("peak_rss_bytes=".count)))
        #expect(Double(peak) <= 1.1 * Double(64 << 20), "peak RSS \(peak >> 20) MiB over a 64 MiB limit")
        let summary = try FeatureRun.summary(out)
        // The run's own figure is its own high-water mark, not its parent's (VmHWM).
        let reported = try #require(summary["peak_resident_bytes"] as? Int)
        #expect(reported <= peak + (4 << 20), "summary says \(reported >> 20) MiB, the kernel \(peak >> 20) MiB")
        let book = try #require(summary["book"] as? [String: Any])
        #expect(book["bytes"] as? Int == size)
        // The first copy covers the trades: the values are those of the plain file.
        let plain = dir.path("plain")
        #expect(try runTickforge(["features", "--trades", Self.trades("BTC"), "--book", books + "/incremental_book_L2.csv", "--out", plain]).status == 0)
        #expect(try String(contentsOfFile: out + "/features.csv", encoding: .utf8) == String(contentsOfFile: plain + "/features.csv", encoding: .utf8))
    }

    /// Hand-made books with the contract's corner cases, against the reference: a stream that
    /// does not start with a snapshot, a snapshot restart, rows sharing a timestamp, deletes,
    /// a crossed book (kept, counted) and an update that leaves a side empty (no quote).
    @Test func cornerCasesMatchTheReference() throws {
        let dir = try TemporaryDirectory("tf-book-corners")
        defer { dir.remove() }
        // Trades every second from 2024-08-09 00:00:00 for 20 s.
        let t0: Int64 = 1_723_161_600_000
        var trades = "id,price,qty,quote_qty,time,is_buyer_maker\n"
        for i in 0..<21 { trades += "\(i + 1),100.\(i % 10),1,100,\(t0 + Int64(i) * 1000),\(i % 2 == 0 ? "true" : "false")\n" }
        let tradesPath = try dir.write("trades.csv", trades)
        let us = { (ms: Int64) in String((t0 + ms) * 1000) }
        let rows: [(Int64, String, String, String, String)] = [
            (-500, "false", "bid", "99", "1"),          // before the first bar, no snapshot yet
            (200, "false", "ask", "101", "2"),
            (200, "false", "bid", "99.5", "3"),         // same timestamp: one update
            (1_300, "false", "ask", "101", "0"),        // the only ask goes: no quote
            (2_000, "false", "ask", "100.5", "1"),      // the ask is back: a quote
            (3_000, "true", "bid", "98", "5"),          // snapshot after non-snapshot: empty first
            (3_000, "true", "ask", "102", "4"),
            (3_000, "true", "bid", "97", "6"),
            (4_100, "false", "bid", "103", "1"),        // crossed: kept
            (5_000, "false", "bid", "103", "0"),
            (5_000, "false", "bid", "96", "2"),         // a deep level only: no quote
            (7_250, "false", "ask", "102", "7"),
            (7_250, "false", "ask", "102.5", "1"),
            (12_000, "true", "bid", "99", "1"),         // a new snapshot
            (12_000, "true", "ask", "100", "1"),
            (12_500, "false", "ask", "100", "3"),
            (19_999, "false", "bid", "99", "4"),
        ]
        var book = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
        for (ms, snapshot, side, price, amount) in rows { book += "binance-futures,BTCUSDT,\(us(ms)),\(us(ms)),\(snapshot),\(side),\(price),\(amount)\n" }
        let bookPath = try dir.write("book.csv", book)
        for depth in ["1,2", "1,5,10"] {
            let out = dir.path("run-\(depth)")
            let result = try runTickforge(["features", "--trades", tradesPath, "--book", bookPath, "--depth-levels", depth, "--windows", "2,5", "--horizons", "1", "--out", out])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("1 updates left it crossed"), "\(result.stdoutText)")
            let reference = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/reference_book.py", "--trades", tradesPath, "--book", bookPath,
                                                            "--depth-levels", depth, "--out", dir.path("reference-book.csv"), "--quotes-out", dir.path("quotes.csv")])
            #expect(reference.status == 0, "\(reference.stderrText)")
            let compared = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("reference-book.csv"), out + "/features.csv"])
            #expect(compared.status == 0, "\(compared.stdoutText)")
            let quotes = try Reference.run(trades: tradesPath, quotes: dir.path("quotes.csv"), out: dir.path("quote-reference"), ["--windows", "2,5", "--horizons", "1"])
            #expect(quotes.status == 0, "\(quotes.stderrText)")
            let quoteColumns = try runProcess("/usr/bin/env", ["python3", Self.scripts + "/compare_columns.py", dir.path("quote-reference/features.csv"), out + "/features.csv"])
            #expect(quoteColumns.status == 0, "\(quoteColumns.stdoutText)")
        }
        // Out of order: an error naming the row, or the sort mode; a bad side names its column.
        let shuffled = try dir.write("shuffled.csv", "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
            + "binance-futures,BTCUSDT,\(us(2000)),\(us(2000)),false,bid,99,1\nbinance-futures,BTCUSDT,\(us(1000)),\(us(1000)),false,ask,101,1\n")
        let short = ["--windows", "2,5", "--horizons", "1"]
        let strict = try runTickforge(["features", "--trades", tradesPath, "--book", shuffled, "--out", dir.path("strict")] + short)
        #expect(strict.status != 0 && strict.stderrText.contains("shuffled.csv:2") && strict.stderrText.contains("out of order"), "\(strict.stderrText)")
        #expect(try runTickforge(["features", "--trades", tradesPath, "--book", shuffled, "--order", "sort", "--out", dir.path("sorted")] + short).status == 0)
        let badSide = try dir.write("side.csv", "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\nbinance-futures,BTCUSDT,\(us(0)),\(us(0)),false,buy,99,1\n")
        let side = try runTickforge(["features", "--trades", tradesPath, "--book", badSide, "--out", dir.path("side")] + short)
        #expect(side.status != 0 && side.stderrText.contains("side.csv:2") && side.stderrText.contains("column 6"), "\(side.stderrText)")
    }
}
