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
    /// A node command (`NodeCommand`), its participant and conference the client's unless the step names them.
    case node(CommandStep)
    /// Tell the client something over the driver protocol (`leave`, `send_message`, …).
    case tell(JSONValue)

    /// The action keys of a step's `do:` list: the node's commands, and the forms kept from
    /// before they were one vocabulary (`chat`, the display-name forms of the participant actions).
    static let keys: [String] = {
        var keys = ["emit", "burst", "chat", "tell"]
        for spec in NodeCommand.specs where spec.inTimeline && !keys.contains(spec.name) { keys.append(spec.name) }
        return keys
    }()

    public var label: String {
        switch self {
        case .emit(let events, let to):
            return "emit \(events.map(\.event).joined(separator: ", ")) to \(to.rawValue)"
        case .node(let step): return step.label
        case .tell(let message): return "tell the client \(message["type"]?.stringValue ?? "?")"
        }
    }
}

/// A node command in a timeline: its name and the fields the step gave.
public struct CommandStep: Sendable, Equatable {
    public var name: String
    public var arguments: CommandArguments
    /// How reports name it ("eject (Removed by the host)").
    public var label: String

    /// The step for `name` with `arguments`, checked now (with stand-ins for the client and its
    /// conference) so that a mistake is found when the file is read.
    public init(_ name: String, _ arguments: CommandArguments = CommandArguments()) throws {
        guard let spec = NodeCommand.spec(named: name), spec.inTimeline else {
            throw MockNodeError.badRequest("'\(name)' is not a timeline action")
        }
        self.name = name
        self.arguments = arguments
        label = try spec.command(Self.filled(arguments, spec, client: "the client", conference: "the client's conference")).label
    }

    /// The arguments with what the step left out filled in: the client and its conference.
    static func filled(_ arguments: CommandArguments, _ spec: CommandSpec, client: String?,
                       conference: String?) throws -> CommandArguments {
        var args = arguments
        for field in spec.fields where args[field.name] == nil {
            switch field.timelineDefault {
            case .none: break
            case .client:
                guard let client else { throw ScenarioError.noClientYet }
                args[field.name] = .string(client)
            case .clientConference:
                args[field.name] = conference.map { .string($0) }
            }
        }
        return args
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
