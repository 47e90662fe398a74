import Foundation
import MockNode
import PexipWire

/// Runs a scenario's timeline against a live node, on a thread of its own:
/// it reads the journal as it grows (waking on each new entry, never
/// polling), counts what each trigger waits for, and does each step's
/// actions through the node's control surface once its trigger (plus delay)
/// has come. `tell` actions go to the client through `tell`.
public final class TimelineExecutor: @unchecked Sendable {
    private let steps: [TimelineStep]
    private let node: MockNode
    private let tell: @Sendable (JSONValue) -> Void
    private let lock = NSLock()
    private var stopped = false
    private var outcomes: [StepOutcome]
    private let finished = DispatchSemaphore(value: 0)
    private var started: Date?

    /// `tell` sends a driver-protocol message to the client (and notes it).
    public init(steps: [TimelineStep], node: MockNode, tell: @escaping @Sendable (JSONValue) -> Void) {
        self.steps = steps
        self.node = node
        self.tell = tell
        outcomes = steps.map { StepOutcome(label: $0.label, line: $0.line, optional: $0.optional) }
    }

    /// Starts the clock of `at` triggers and the thread. Steps `at: 0` without
    /// delay are done here, before the client is started.
    public func start() {
        started = Date()
        for (i, step) in steps.enumerated() where step.trigger == .at(0) && step.delay == 0 { fire(i, client: nil) }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "timeline"
        thread.start()
    }

    /// Stops the thread and returns what became of each step.
    public func stop() -> [StepOutcome] {
        lock.withLock { stopped = true }
        _ = try? node.note("timeline_end")  // wakes the thread
        if started != nil { finished.wait() }
        return lock.withLock { outcomes }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func run() {
        guard let started else { return }
        var counters = Array(repeating: 0, count: steps.count)
        var due: [(at: Date, step: Int)] = []
        var armed = steps.map { if case .at = $0.trigger { false } else { true } }
        for (i, step) in steps.enumerated() {
            if case .at(let s) = step.trigger, !(s == 0 && step.delay == 0) {
                due.append((started.addingTimeInterval(s + step.delay), i))
            }
        }
        var scanned = node.journalHead
        var client: String?
        while !isStopped {
            let next = due.map(\.at).min() ?? Date().addingTimeInterval(3600)
            let wait = min(max(0, next.timeIntervalSinceNow), 3_600)
            if wait > 0, node.waitForJournal(after: scanned, timeout: wait, where: { _ in true }) != nil {
                for entry in node.journal(after: scanned) {
                    scanned = entry.seq
                    if entry.kind == .request, entry.request == "request_token", entry.status == 200,
                       let uuid = entry.response.flatMap(JSONValue.parse)?["result"]?["participant_uuid"]?.stringValue {
                        client = uuid
                    }
                    for (i, step) in steps.enumerated() where armed[i] && Self.counts(step.trigger, entry, client: client) {
                        counters[i] += 1
                        if counters[i] == Self.needed(step.trigger) {
                            armed[i] = false
                            due.append((Date().addingTimeInterval(step.delay), i))
                        }
                    }
                }
            }
            let now = Date()
            for item in due.filter({ $0.at <= now }).sorted(by: { ($0.at, $0.step) < ($1.at, $1.step) }) {
                guard !isStopped else { break }
                fire(item.step, client: client)
            }
            due.removeAll { $0.at <= now }
        }
    }

    static func counts(_ trigger: Trigger, _ e: JournalEntry, client: String?) -> Bool {
        switch trigger {
        case .at: return false
        case .client(let type, _):
            return e.kind == .note && e.action == RunRecord.clientLabel && e.data.flatMap(JSONValue.parse)?["type"]?.stringValue == type
        case .refresh: return e.kind == .request && e.request == "refresh_token" && e.status == 200
        case .stream: return e.kind == .streamOpen && (client == nil || e.participant == client)
        case .request(let pattern, _):
            return e.kind == .request && e.method != "OPTIONS" && RunRecord.globMatch(pattern, e.request ?? "")
        case .event(let name, _): return e.kind == .event && e.event == name && (client == nil || e.participant == client)
        }
    }

    static func needed(_ trigger: Trigger) -> Int {
        switch trigger {
        case .at: return 0
        case .client(_, let n), .request(_, let n), .event(_, let n): return n
        case .refresh(let n), .stream(let n): return n
        }
    }

    private func fire(_ index: Int, client: String?) {
        let step = steps[index]
        var errors: [String] = []
        for action in step.actions {
            do {
                try perform(action, client: client)
            } catch {
                errors.append("\(action.label): \(error)")
            }
        }
        let at = Date().timeIntervalSince(started ?? Date())
        lock.withLock {
            outcomes[index].firedAt = at
            outcomes[index].errors = errors
        }
        let detail: JSONValue = ["step": .string(step.label), "line": .number(Double(step.line)),
                                 "actions": .array(step.actions.map { .string($0.label) }),
                                 "errors": .array(errors.map { .string($0) })]
        _ = try? node.note("timeline", data: detail.jsonText)
    }

    private func perform(_ action: Action, client: String?) throws {
        func me() throws -> String {
            guard let client else { throw ScenarioError.noClientYet }
            return client
        }
        /// A simulated participant named by its display name.
        func simulated(_ name: String) -> String? {
            node.participants().first { $0.simulated && $0.displayName == name }?.uuid
        }
        func myConference() throws -> String {
            guard let p = node.participants().first(where: { $0.uuid == client }) else {
                return node.conferences().first { $0.type != .reception }?.alias ?? ""
            }
            return p.alias
        }
        switch action {
        case .emit(let events, let to):
            let target: EventTarget
            switch to {
            case .client: target = .participant(try me())
            case .conference: target = .conference(try myConference())
            case .everyone: target = .everyone
            }
            for e in events { try node.perform(.inject(event: e.event, data: e.data, to: target)) }
        case .node(let step):
            guard let spec = NodeCommand.spec(named: step.name) else { throw ScenarioError.unknownCommand(step.name) }
            var args = try CommandStep.filled(step.arguments, spec, client: client, conference: try? myConference())
            for field in spec.fields where field.namesParticipant {
                if let name = args[field.name]?.stringValue, let uuid = simulated(name) { args[field.name] = .string(uuid) }
            }
            try node.perform(try spec.command(args))
        case .tell(let message): tell(message)
        }
    }
}

/// Why a timeline action could not be done.
public enum ScenarioError: Error, CustomStringConvertible {
    case noClientYet
    case unknownCommand(String)

    public var description: String {
        switch self {
        case .noClientYet: return "the client has not joined yet (no token issued)"
        case .unknownCommand(let name): return "the node has no command '\(name)'"
        }
    }
}
