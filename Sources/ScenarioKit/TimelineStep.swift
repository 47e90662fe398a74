import MockNode
import Foundation
import PexipWire

/// One step of a scenario's timeline: when `trigger` happens (then `delay`
/// more seconds), the node does `actions` in order. Each step fires once.
public struct TimelineStep: Sendable, Equatable {
    public var trigger: Trigger
    public var delay: Double
    public var actions: [Action]
    /// A step that may not happen without failing the scenario.
    public var optional: Bool
    /// Its line in the scenario file (0 when built in code).
    public var line: Int

    public init(_ trigger: Trigger, delay: Double = 0, optional: Bool = false, line: Int = 0, _ actions: [Action]) {
        self.trigger = trigger
        self.delay = delay
        self.actions = actions
        self.optional = optional
        self.line = line
    }

    /// "when refresh 2 (+0.5 s)": how reports name the step.
    public var label: String {
        let when = "when \(trigger.label)"
        return delay > 0 ? "\(when) (+\(Number.text(delay)) s)" : when
    }
}

/// What sets a step off.
public enum Trigger: Sendable, Equatable {
    /// Seconds after the client was started.
    case at(Double)
    /// The client reported its `count`-th message of `type` (`joined`, `roster`, …).
    case client(String, count: Int)
    /// The node answered the `count`-th `refresh_token` with 200.
    case refresh(Int)
    /// The client opened its `count`-th event stream.
    case stream(Int)
    /// The `count`-th request named `request` (`release_token`, `message`, `participants/*/mute`) was answered.
    case request(String, count: Int)
    /// The node wrote its `count`-th event named `event` to the client.
    case event(String, count: Int)

    public var label: String {
        switch self {
        case .at(let s): return "at \(Number.text(s)) s"
        case .client(let type, let n): return "client reported \(type)" + Number.ordinalSuffix(n)
        case .refresh(let n): return "refresh \(n)"
        case .stream(let n): return "stream \(n) opened"
        case .request(let r, let n): return "request \(r)" + Number.ordinalSuffix(n)
        case .event(let e, let n): return "event \(e)" + Number.ordinalSuffix(n)
        }
    }

    /// The trigger keys of a step's `when:` mapping.
    static let keys = ["at", "client", "refresh", "stream", "request", "event"]
}

/// Something the node (or the runner, for `tell`) does in a step.
public enum Action: Sendable, Equatable {
    /// Events written to the client, its conference or everyone, in order (one or a burst).
    case emit([EmittedEvent], to: EmitTarget)
    /// Cut the client's event stream(s); the participant stays.
    case dropStream
    /// Freeze (true) or thaw (false) the client's event stream(s).
    case stallStream(Bool)
    /// Disconnect the client with this reason, then cut its stream.
    case eject(reason: String)
    /// Expire the client's token now (§10 expiry).
    case expireToken
    /// Arm a fault rule for the next requests.
    case fail(FaultRule)
    /// A simulated participant joins.
    case addParticipant(displayName: String, role: ParticipantRole)
    /// A simulated participant (by display name) leaves.
    case removeParticipant(displayName: String)
    /// A simulated participant (by display name) changes name or role.
    case updateParticipant(displayName: String, newName: String?, role: ParticipantRole?)
    /// A simulated participant (by display name) sends a chat message.
    case chat(from: String, text: String)
    /// Lock or unlock the client's conference.
    case lock(Bool)
    /// Tell the client something over the driver protocol (`leave`, `send_message`, …).
    case tell(JSONValue)

    /// The action keys of a step's `do:` list.
    static let keys = ["emit", "burst", "drop_stream", "stall_stream", "eject", "expire_token", "fail",
                       "add_participant", "remove_participant", "update_participant", "chat", "lock", "tell"]

    public var label: String {
        switch self {
        case .emit(let events, let to):
            return "emit \(events.map(\.event).joined(separator: ", ")) to \(to.rawValue)"
        case .dropStream: return "drop the stream"
        case .stallStream(let on): return on ? "stall the stream" : "thaw the stream"
        case .eject(let reason): return "eject (\(reason))"
        case .expireToken: return "expire the token"
        case .fail(let rule): return "fault: \(rule.label) ×\(rule.count)"
        case .addParticipant(let name, _): return "add participant \(name)"
        case .removeParticipant(let name): return "remove participant \(name)"
        case .updateParticipant(let name, _, _): return "update participant \(name)"
        case .chat(let from, _): return "chat from \(from)"
        case .lock(let on): return on ? "lock" : "unlock"
        case .tell(let message): return "tell the client \(message["type"]?.stringValue ?? "?")"
        }
    }
}

/// One event an `emit` writes; `data` is JSON text.
public struct EmittedEvent: Sendable, Equatable {
    public var event: String
    public var data: String

    public init(event: String, data: String = "null") {
        self.event = event
        self.data = data
    }
}

/// Who an `emit` writes to.
public enum EmitTarget: String, Sendable, Equatable, CaseIterable {
    case client, conference, everyone
}

/// Number formatting for labels and reports.
enum Number {
    /// 2 → "2", 0.5 → "0.5", 1.25 → "1.25".
    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3g", x)
    }

    static func ordinalSuffix(_ n: Int) -> String { n == 1 ? "" : " (×\(n))" }
}
