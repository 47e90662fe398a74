/// Why a control operation was refused. Each says what to do instead.
public enum MockNodeError: Error, Equatable, CustomStringConvertible {
    case unknownConference(String)
    case unknownParticipant(String)
    case invalidConference(alias: String, String)
    case invalidFault(String)
    case notSimulated(String)
    case notManualClock
    case badRequest(String)
    case participantExists(String)
    /// `start()` on a node that is running, or was stopped (a stopped node does not start again).
    case lifecycle(String)

    public var description: String {
        switch self {
        case .unknownConference(let a): return "no conference with alias '\(a)' (GET /_mock/conferences lists them)"
        case .unknownParticipant(let u): return "no participant '\(u)' (GET /_mock/participants lists them)"
        case .invalidConference(let a, let why): return "conference '\(a)': \(why)"
        case .invalidFault(let why): return "fault rule: \(why)"
        case .notSimulated(let u): return "participant '\(u)' has a real client; only simulated participants can be driven this way"
        case .notManualClock: return "the node runs on the system clock; start it with a manual clock to advance time"
        case .badRequest(let why): return why
        case .participantExists(let u): return "a participant with uuid '\(u)' is already on the node; give another uuid or none"
        case .lifecycle(let why): return why
        }
    }

    /// The HTTP status the control API answers with.
    var httpStatus: Int {
        switch self {
        case .unknownConference, .unknownParticipant: return 404
        case .notManualClock, .notSimulated, .participantExists, .lifecycle: return 409
        default: return 400
        }
    }
}
