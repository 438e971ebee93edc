import Synchronization
import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// The seam through which every write, fsync, rename, link, removal and read of the pipeline
/// passes, so tests can make the N-th operation fail or kill the process there. Off unless the
/// environment asks:
///
/// - `TICKFORGE_FAULT=OP:N:ERRNO[:persistent]` makes the N-th operation of kind OP (`write`,
///   `fsync`, `rename`, `link`, `remove`, `read`, or `any`) fail with ERRNO (`EIO`, `ENOSPC` or
///   a number), once or, with `persistent`, from then on.
/// - `TICKFORGE_KILL_AT=N` sends SIGKILL to this process just before the N-th durable step
///   (every operation but a read), to test resuming from every point.
/// - `TICKFORGE_STEP_LOG=FILE` appends `N OP PATH` to FILE for every durable step, so a test can
///   find the steps of one phase (publishing the outputs, say) and kill the run before each.
public enum FaultInjection {
    public enum Operation: String, Sendable { case write, fsync, rename, link, remove, read }

    struct Plan: Sendable {
        var operation: String
        var index: Int
        var errorCode: Int32
        var persistent: Bool
    }

    static let plan: Plan? = {
        guard let raw = getenv("TICKFORGE_FAULT").map({ String(cString: $0) }) else { return nil }
        let parts = raw.split(separator: ":").map(String.init)
        guard parts.count >= 3, let index = Int(parts[1]) else { return nil }
        let code: Int32 = switch parts[2] {
        case "EIO": EIO
        case "ENOSPC": ENOSPC
        default: Int32(parts[2]) ?? EIO
        }
        return Plan(operation: parts[0], index: index, errorCode: code, persistent: parts.count > 3 && parts[3] == "persistent")
    }()

    static let killAt: Int? = getenv("TICKFORGE_KILL_AT").flatMap { Int(String(cString: $0)) }

    static let counts = Mutex<[String: Int]>([:])

    /// Set once, from the environment, before any thread writes to it; `fputs` locks the stream.
    nonisolated(unsafe) static let stepLog: UnsafeMutablePointer<FILE>? = getenv("TICKFORGE_STEP_LOG").flatMap { fopen($0, "a") }

    /// Called before each operation; throws the planned error or kills the process when it is due.
    static func check(_ operation: Operation, path: String) throws {
        guard plan != nil || killAt != nil || stepLog != nil else { return }
        let (own, any, durable) = counts.withLock { counts -> (Int, Int, Int) in
            counts[operation.rawValue, default: 0] += 1
            counts["any", default: 0] += 1
            if operation != .read { counts["durable", default: 0] += 1 }
            return (counts[operation.rawValue]!, counts["any"]!, counts["durable", default: 0])
        }
        if let stepLog, operation != .read {
            fputs("\(durable) \(operation.rawValue) \(path)\n", stepLog)
            fflush(stepLog)
        }
        if let killAt, operation != .read, durable == killAt {
            kill(getpid(), SIGKILL)
        }
        guard let plan else { return }
        let n = plan.operation == "any" ? any : (plan.operation == operation.rawValue ? own : -1)
        if n == plan.index || (plan.persistent && n > plan.index) {
            throw TickError.io(path: path, operation: operation.rawValue + " (injected)", errno: plan.errorCode,
                               message: Syscall.errorText(plan.errorCode))
        }
    }
}
