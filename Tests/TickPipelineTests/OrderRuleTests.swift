import DequeModule
import Foundation
import Testing
import TickCore
@testable import TickPipeline

/// The contract's order rules (Inputs: Order, Spikes), checked against a reference written from
/// the contract's words on seeded random streams with spikes, rows from the past, duplicates
/// and conflicting duplicates, at every chunk size and across resumes from every partition
/// boundary.
@Suite struct OrderRuleTests {
    struct Row: Equatable {
        var line: Int64
        var id: Int64
        var time: Int64   // ms
        var price: String
        var quantity: String
        var buyerIsMaker: Bool
        var csv: String { "\(id),\(price),\(quantity),1,\(time),\(buyerIsMaker)" }
    }

    /// The rules as the contract states them, over an unbounded list of kept rows.
    static func reference(_ rows: [Row]) -> (kept: [Row], rejectedLines: [Int64], duplicates: Int) {
        var kept: [Row] = []
        var rejected: [Int64] = []
        var duplicates = 0
        for row in rows {
            if let last = kept.last {
                if row.id == last.id {
                    if row.time == last.time && row.price == last.price && row.quantity == last.quantity && row.buyerIsMaker == last.buyerIsMaker {
                        duplicates += 1
                    } else {
                        rejected.append(row.line)   // conflicting duplicate
                    }
                    continue
                }
                if row.id < last.id { rejected.append(row.line); continue }
                if row.time < last.time {
                    // The shortest run of at most 16 rows just before it whose removal puts it back in order.
                    var run: Int?
                    for length in 1...min(16, kept.count) {
                        if length == kept.count { run = length; break }
                        let before = kept[kept.count - 1 - length]
                        if before.time <= row.time && before.id < row.id { run = length; break }
                    }
                    guard let run else { rejected.append(row.line); continue }
                    rejected += kept.suffix(run).map(\.line)
                    kept.removeLast(run)
                }
            }
            kept.append(row)
        }
        return (kept, rejected, duplicates)
    }

    /// A stream of trades with, every 40 to 90 rows, one of: a run of 1–16 rows stamped in the
    /// future, a row from the past, an exact duplicate, a conflicting duplicate, an id that goes
    /// back. (Spikes are this far apart so that the look-back is never shortened by an earlier
    /// removal; see StreamValidator.)
    static func stream(seed: UInt64, count: Int) -> [Row] {
        var random = SplitMix64(seed: seed)
        var rows: [Row] = []
        var id: Int64 = 1_000
        var time: Int64 = 1_723_161_600_000
        var nextEvent = 50
        while rows.count < count {
            let line = Int64(rows.count + 2)
            time += Int64(random.next() % 3)   // equal times are common
            id += 1
            func row(id: Int64, time: Int64) -> Row {
                Row(line: line, id: id, time: time, price: "6\(random.next() % 1000).\(random.next() % 100)",
                    quantity: "0.\(1 + random.next() % 999)", buyerIsMaker: random.next() % 2 == 0)
            }
            guard rows.count == nextEvent else { rows.append(row(id: id, time: time)); continue }
            nextEvent += 40 + Int(random.next() % 50)
            switch random.next() % 5 {
            case 0:
                let length = 1 + Int(random.next() % 16)
                let future = time + 86_400_000 * Int64(1 + random.next() % 400)
                for k in 0..<length {
                    rows.append(Row(line: Int64(rows.count + 2), id: id + Int64(k), time: future + Int64(k), price: "1.5", quantity: "2",
                                    buyerIsMaker: true))
                }
                id += Int64(length)
            case 1:
                rows.append(row(id: id, time: time - Int64(random.next() % 200)))
            case 2:
                rows.append(row(id: id, time: time))
                if var copy = rows.last { copy.line += 1; rows.append(copy) }
            case 3:
                rows.append(row(id: id, time: time))
                if var copy = rows.last { copy.line += 1; copy.price = "1.25"; rows.append(copy) }
            default:
                rows.append(row(id: id - 5, time: time))
            }
        }
        return rows
    }

    static func write(_ rows: [Row], to dir: TemporaryDirectory) throws -> String {
        try dir.write("trades.csv", "id,price,qty,quote_qty,time,is_buyer_maker\n" + rows.map { $0.csv + "\n" }.joined())
    }

    static func options(chunkSize: Int) -> ReadOptions {
        var options = ReadOptions()
        options.badRows = .quarantine
        options.chunkSize = chunkSize
        options.workers = 2
        return options
    }

    /// Where two readings first differ, in a few words (nil when they are equal).
    static func difference(_ a: TradeColumns, _ b: TradeColumns) -> String? {
        guard a != b else { return nil }
        let n = min(a.count, b.count)
        let first = (0..<n).first { a.time[$0] != b.time[$0] || a.id[$0] != b.id[$0] || a.price[$0] != b.price[$0] } ?? n
        return "\(a.count) rows against \(b.count); first difference at row \(first): id \(first < a.count ? a.id[first] : -1) against \(first < b.count ? b.id[first] : -1)"
    }

    static func reference(columns rows: [Row]) throws -> TradeColumns {
        let text = "id,price,qty,quote_qty,time,is_buyer_maker\n" + rows.map { $0.csv + "\n" }.joined()
        return try ReferenceReader.read(bytes: Array(text.utf8), .binanceTrades).trades
    }

    @Test(arguments: [1, 2, 3])
    func randomStreamsMatchTheReferenceAtEveryChunkSize(seed: UInt64) throws {
        let dir = try TemporaryDirectory("tf-order-rules")
        defer { dir.remove() }
        let rows = Self.stream(seed: seed, count: 3_000)
        let path = try Self.write(rows, to: dir)
        let expected = Self.reference(rows)
        #expect(expected.rejectedLines.count >= 30, "the stream must exercise the rules")
        let expectedColumns = try Self.reference(columns: expected.kept)
        for chunkSize in [1, 61, 4096, 1 << 20] {
            let got = try readStream(path, options: Self.options(chunkSize: chunkSize))
            #expect(Self.difference(got.trades, expectedColumns) == nil, "chunk size \(chunkSize)")
            let rejectedLines = got.rejects.map(\.location.line).sorted()
            #expect(rejectedLines == expected.rejectedLines.sorted(),
                    "chunk size \(chunkSize): only here \(Set(rejectedLines).subtracting(expected.rejectedLines).sorted()), only in the reference \(Set(expected.rejectedLines).subtracting(rejectedLines).sorted())")
            #expect(got.counts.duplicates == Int64(expected.duplicates))
            #expect(got.counts.read == Int64(rows.count))
            #expect(got.counts.used + got.counts.rejected + got.counts.duplicates == got.counts.read)
        }
    }

    /// Stopping at any partition boundary and resuming from its point (held rows restored from
    /// the partition's metadata, the rest from the manifest's JSON) gives the same rows and the
    /// same rejects as reading straight through.
    @Test func resumingFromEveryBoundaryGivesTheSameStream() throws {
        let dir = try TemporaryDirectory("tf-order-resume")
        defer { dir.remove() }
        let rows = Self.stream(seed: 9, count: 1_500)
        let path = try Self.write(rows, to: dir)
        let pool = WorkPool(workers: 2)
        let options = Self.options(chunkSize: 997)

        var batches: [(rows: TradeColumns, rejects: [RejectRecord])] = []
        var boundaries: [(point: ResumePoint, batchesBefore: Int)] = []
        let whole = try TickStream(path: path, options: options, pool: pool, partitionRows: 37)
        while let event = try whole.nextEvent() {
            let rejects = whole.drainRejects()
            switch event {
            case .rows(.trades(let t)): batches.append((t, rejects))
            case .rows(.quotes): Issue.record("quotes from a trades file")
            case .boundary(let point):
                batches.append((TradeColumns(), rejects))
                boundaries.append((point, batches.count))
            case .rejected: batches.append((TradeColumns(), rejects))
            }
        }
        batches.append((TradeColumns(), whole.drainRejects()))
        #expect(boundaries.count >= 30)
        func joined(_ parts: ArraySlice<(rows: TradeColumns, rejects: [RejectRecord])>) -> (TradeColumns, [RejectRecord]) {
            var columns = TradeColumns()
            var rejects: [RejectRecord] = []
            for part in parts { columns.append(part.rows); rejects += part.rejects }
            return (columns, rejects)
        }
        let (allRows, allRejects) = joined(batches[...])
        #expect(Self.difference(allRows, try Self.reference(columns: Self.reference(rows).kept)) == nil)

        for (point, before) in boundaries {
            // Through the manifest's JSON and the partition's metadata, as a real resume goes.
            var restored = try JSONDecoder.snakeCase.decode(ResumePoint.self, from: Data(try JSON.encode(point).utf8))
            #expect(restored.state.held.isEmpty, "held rows are not in the manifest")
            let contents = try PartitionCodec.contents(.trades(TradeColumns()), heldAfter: Array(point.state.held))
            restored.state.held = Deque(try PartitionCodec.heldRows(contents.metadata, path: path))
            #expect(restored == point)

            let resumed = try TickStream(file: try InputProbe.probe(path: path, options: options), options: options, pool: pool, partitionRows: 37, resume: restored)
            var tail: [(rows: TradeColumns, rejects: [RejectRecord])] = []
            while let event = try resumed.nextEvent() {
                if case .rows(.trades(let t)) = event { tail.append((t, resumed.drainRejects())) } else { tail.append((TradeColumns(), resumed.drainRejects())) }
            }
            tail.append((TradeColumns(), resumed.drainRejects()))
            let (headRows, headRejects) = joined(batches[..<before])
            let (tailRows, tailRejects) = joined(tail[...])
            var combined = headRows
            combined.append(tailRows)
            #expect(Self.difference(combined, allRows) == nil, "resumed at line \(point.line)")
            #expect(headRejects + tailRejects == allRejects, "resumed at line \(point.line): rejects differ")
            #expect(resumed.counts == whole.counts)
        }
    }

    /// A Tardis row held back at a partition's end keeps its `local_timestamp` through the
    /// partition's metadata, where a resume finds it; rows of other layouts store none.
    @Test func heldRowsKeepTheirSequenceKey() throws {
        let tardis = HeldRow(time: 1_582_329_601_096_000, id: RowID.none, sequence: 1_582_329_603_502_092,
                             values: RowValues(9681_92000000, 67000000, 9682_00000000, 84000000), line: 2, byteOffset: 79,
                             text: "binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67", chunkRow: nil)
        var binance = tardis
        binance.sequence = 0
        let contents = try PartitionCodec.contents(.quotes(QuoteColumns()), heldAfter: [tardis, binance])
        #expect(try PartitionCodec.heldRows(contents.metadata, path: "p") == [tardis, binance])
        let stored = contents.metadata[PartitionCodec.heldRowsKey] ?? ""
        #expect(stored.components(separatedBy: "\"sequence\"").count == 2, "\(stored)")
    }

    /// Quotes follow the same rules with `update_id`: an update repeating the previous id with
    /// other prices is a conflicting duplicate; a bookTicker spike is rejected alone.
    @Test func quotesFollowTheSameRules() throws {
        let dir = try TemporaryDirectory("tf-order-quotes")
        defer { dir.remove() }
        let header = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n"
        var lines: [String] = []
        for i in 0..<40 { lines.append("\(100 + i),10.5,1,10.6,2,\(1_723_161_600_000 + i * 10),0") }
        lines.insert("120,10.5,1,10.6,2,\(1_723_161_600_000 + 20 * 10),0", at: 21)   // exact duplicate of line 22
        lines.insert("121,10.4,1,10.6,2,\(1_723_161_600_000 + 21 * 10),0", at: 23)   // conflicts with line 24
        lines[30] = "128,10.5,1,10.6,2,1823161600000,0"                                // a spike
        let path = try dir.write("quotes.csv", header + lines.joined(separator: "\n") + "\n")
        let got = try readStream(path, options: Self.options(chunkSize: 61))
        #expect(got.counts.duplicates == 1)
        #expect(got.rejects.map(\.location.line) == [25, 32])
        #expect(got.rejects[0].reason == "conflicting duplicate: id 121 repeats line 24's id with a different bid")
        #expect(got.rejects[1].reason.hasPrefix("out of order: a spike: stamped 2027-"))
        #expect(got.quotes.count == 40 - 1)
    }

    /// With an unbounded look-back the contract could remove rows held back arbitrarily far
    /// after earlier removals; the validator holds 32. Spikes far enough apart never notice: a
    /// stream that removes 16 rows and then needs to look 16 rows back again still matches.
    @Test func twoLongSpikesCloseTogetherStillMatchTheReference() throws {
        let dir = try TemporaryDirectory("tf-order-two-spikes")
        defer { dir.remove() }
        var rows: [Row] = []
        func add(_ time: Int64) { rows.append(Row(line: Int64(rows.count + 2), id: Int64(rows.count + 1), time: time, price: "1", quantity: "1", buyerIsMaker: false)) }
        let t0: Int64 = 1_723_161_600_000
        for i in 0..<60 { add(t0 + Int64(i)) }
        for i in 0..<16 { add(t0 + 9_000_000 + Int64(i)) }      // a spike of 16 rows
        add(t0 + 100)                                              // exposes it
        for i in 0..<16 { add(t0 + 8_000_000 + Int64(i)) }      // another, right after
        add(t0 + 200)
        for i in 0..<20 { add(t0 + 300 + Int64(i)) }
        let path = try Self.write(rows, to: dir)
        let expected = Self.reference(rows)
        let got = try readStream(path, options: Self.options(chunkSize: 64))
        #expect(got.rejects.map(\.location.line) == expected.rejectedLines)
        #expect(Self.difference(got.trades, try Self.reference(columns: expected.kept)) == nil)
    }
}
