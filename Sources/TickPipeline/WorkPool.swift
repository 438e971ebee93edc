import Dispatch
import Foundation

/// The Dispatch work pool that every parallel stage runs on, with at most `workers` tasks
/// running at once however many queues submit to it.
public final class WorkPool: Sendable {
    public let workers: Int
    private let queue = DispatchQueue(label: "tickforge.work", qos: .userInitiated, attributes: .concurrent)
    private let slots: DispatchSemaphore

    public init(workers: Int) {
        self.workers = max(1, workers)
        slots = DispatchSemaphore(value: self.workers)
    }

    /// Runs `work` on the pool when a worker is free.
    func run(_ work: @escaping @Sendable () -> Void) {
        queue.async { [slots] in
            slots.wait()
            work()
            slots.signal()
        }
    }

    /// The number of cores of this machine.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Tasks submitted in order, run in parallel on a `WorkPool`, and taken back in the order they
/// were submitted. The caller bounds memory by bounding `pending` before submitting more.
public final class OrderedTasks<Output: Sendable> {
    private let pool: WorkPool
    private let results = ResultSlots<Output>()
    private var nextSubmit = 0
    private var nextTake = 0

    public init(pool: WorkPool) { self.pool = pool }

    /// Tasks submitted and not yet taken.
    public var pending: Int { nextSubmit - nextTake }

    public func submit(_ task: @escaping @Sendable () throws -> Output) {
        let index = nextSubmit
        nextSubmit += 1
        let results = self.results
        pool.run {
            let result = Result { try task() }
            results.store(result, at: index)
        }
    }

    /// Waits for the oldest pending task and returns its output (or rethrows its error).
    public func takeNext() throws -> Output {
        precondition(pending > 0, "takeNext() with nothing pending")
        let result = results.take(at: nextTake)
        nextTake += 1
        return try result.get()
    }

    /// Waits for every pending task so that nothing runs on after an error.
    public func drain() {
        while pending > 0 { _ = try? takeNext() }
    }

    deinit { drain() }
}

/// Completed results waiting to be taken in order.
///
/// `@unchecked Sendable`: every access to `slots` happens with `condition` locked.
final class ResultSlots<Output: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Int: Result<Output, any Error>] = [:]

    func store(_ result: Result<Output, any Error>, at index: Int) {
        condition.lock()
        slots[index] = result
        condition.broadcast()
        condition.unlock()
    }

    func take(at index: Int) -> Result<Output, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = slots.removeValue(forKey: index) { return result }
            condition.wait()
        }
    }
}
