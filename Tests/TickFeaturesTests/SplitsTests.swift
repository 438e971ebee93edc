import Testing
@testable import TickFeatures

/// The split formulas of the contract (Files, `splits.json`) on small cases worked out by hand,
/// the flag's parsing, and the "needs N rows" search against trying every N.
struct SplitsTests {
    static func plan(_ method: String, purge: Int, embargo: Int) throws -> SplitPlan {
        SplitPlan(method: try SplitMethod(parsing: method), purgeBars: purge, embargoBars: embargo, intervalMs: 1000)
    }

    static func dense(_ n: Int) -> DenseTimeline { DenseTimeline(rowCount: n, first: 1_000_000, intervalMs: 1000) }

    @Test func kfoldOfRowsNotDivisibleByTheFolds() throws {
        // N = 10, F = 3: tests [0,3), [3,6), [6,10); P = 1, E = 2.
        let folds = try Self.plan("kfold:3", purge: 1, embargo: 2).folds(Self.dense(10))
        #expect(folds.map(\.test.ranges) == [[0..<3], [3..<6], [6..<10]])
        #expect(folds[0].train.ranges == [5..<10])          // embargo [3,5)
        #expect(folds[1].train.ranges == [0..<2, 8..<10])   // purge [2,3), embargo [6,8)
        #expect(folds[2].train.ranges == [0..<5])           // purge [5,6)
        #expect(folds.allSatisfy { $0.validation == nil })
    }

    @Test func walkForwardTrainsOnWhatWentBeforeThePurge() throws {
        // N = 11, F = 2: blocks [0,3), [3,7), [7,11); P = 2.
        let folds = try Self.plan("walk-forward:2", purge: 2, embargo: 5).folds(Self.dense(11))
        #expect(folds.map(\.fold) == [1, 2])
        #expect(folds.map(\.test.ranges) == [[3..<7], [7..<11]])
        #expect(folds.map(\.train.ranges) == [[0..<1], [0..<5]])
    }

    @Test func holdoutReadsItsFractionsExactly() throws {
        // 0.1 + 0.2 + 0.7 is exactly 1 in decimals (not in doubles); N = 30: n1 = 3, n2 = 9.
        let folds = try Self.plan("holdout:0.1,0.2,0.7", purge: 1, embargo: 0).folds(Self.dense(30))
        #expect(folds.count == 1 && folds[0].fold == 0)
        #expect(folds[0].train.ranges == [0..<2] && folds[0].validation?.ranges == [3..<8] && folds[0].test.ranges == [9..<30])
        #expect(throws: SplitError.self) { try SplitMethod(parsing: "holdout:0.6,0.2,0.3") }
        #expect(throws: SplitError.self) { try SplitMethod(parsing: "holdout:0.6,0.4") }
        #expect(throws: SplitError.self) { try SplitMethod(parsing: "holdout:0.6,-0.2,0.6") }
        #expect(try SplitMethod(parsing: "holdout:.5,.25,.25").name == "holdout")
    }

    @Test func badMethodsAreRefused() {
        for text in ["kfold", "kfold:1", "kfold:0", "kfold:x", "walk-forward:0", "random:3", "holdout:1e-1,0.5,0.4", ""] {
            #expect(throws: SplitError.self, "\(text)") { try SplitMethod(parsing: text) }
        }
    }

    @Test func droppedRowsArePurgedByTheirBars() throws {
        // Rows at bars 0,1,2,3, 10,11,12,13, 20,…,23 (bar k at k seconds); kfold:3 tests
        // rows [0,4), [4,8), [8,12). With P = 2 the purge before row 4 (bar 10) is the rows of
        // bars 8 and 9: none; with E = 3 the embargo after row 7 (bar 13) is bars 14…16: none.
        struct Gappy: RowTimeline {
            let bars = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23].map { Int64($0) * 1000 }
            var rowCount: Int { bars.count }
            func timestamps(ofRows rows: [Int]) -> [Int64] { rows.map { bars[$0] } }
            func firstRows(atOrAfter times: [Int64]) -> [Int] { times.map { t in bars.firstIndex { $0 >= t } ?? bars.count } }
        }
        let folds = try Self.plan("kfold:3", purge: 2, embargo: 3).folds(Gappy())
        #expect(folds[1].train.ranges == [0..<4, 8..<12])
        // A purge of 8 bars before bar 10 reaches bars 2 and 3.
        let wider = try Self.plan("kfold:3", purge: 8, embargo: 3).folds(Gappy())
        #expect(wider[1].train.ranges == [0..<2, 8..<12])
    }

    @Test(arguments: ["kfold:2", "kfold:5", "walk-forward:1", "walk-forward:4", "holdout:0.6,0.2,0.2", "holdout:0.34,0.33,0.33"])
    func theRowsNeededAreTheFewestThatWork(method: String) throws {
        for (purge, embargo) in [(0, 0), (3, 1), (7, 12)] {
            let plan = try Self.plan(method, purge: purge, embargo: embargo)
            func works(_ n: Int) -> Bool {
                let folds = (try? plan.folds(Self.dense(n))) ?? []
                return !folds.isEmpty && folds.allSatisfy { !$0.train.isEmpty && !$0.test.isEmpty && $0.validation?.isEmpty != true }
            }
            let fewest = (1...5_000).first(where: works)!
            #expect(plan.minimumRows(from: 1) == fewest, "\(method) P=\(purge) E=\(embargo)")
            // Monotone: every N from there on works, so the message's number is a real floor.
            #expect((fewest...(fewest + 300)).allSatisfy(works))
            if fewest > 1 {
                #expect(throws: SplitError.self) { try plan.checkNoneEmpty(try plan.folds(Self.dense(fewest - 1)), rows: fewest - 1) }
            }
        }
    }
}
