import Foundation
import PexipWire

/// Everything a client reported during one session, in order, with times.
public struct Transcript: Sendable {
    /// Driver-protocol messages the client wrote, with seconds since start.
    public var messages: [(t: Double, message: JSONValue)] = []
    /// Lines that were not JSON objects (each a protocol error).
    public var protocolErrors: [String] = []
    /// How the process ended.
    public var termination: ClientTermination = .exited(0)
    /// Whether the deadline passed before the client ended by itself.
    public var hitDeadline = false
    /// The client's stderr.
    public var standardError = ""

    /// The messages of one type.
    public func messages(ofType type: String) -> [JSONValue] {
        messages.compactMap { $0.message["type"]?.stringValue == type ? $0.message : nil }
    }

    /// The last message of one type.
    public func last(_ type: String) -> JSONValue? { messages(ofType: type).last }
}

/// Runs one driver-protocol session with a client: sends `start`, answers
/// prompts from `answers` (`pin`, `extension`, `sso_idp`, `sso_token`), lets `onMessage` react to
/// each message (e.g. a scenario's timeline), and at the deadline sends
/// `leave`, then stops the client as `ClientProcess.stop` does.
public final class DriverSession: @unchecked Sendable {
    public let client: ClientProcess
    private let started = Date()
    private var wantsLeave = false
    private let observer: (@Sendable (_ sent: Bool, _ message: JSONValue) -> Void)?
    private let leaveLock = NSLock()
    /// Signs the user in at the identity provider of an `sso_required` redirect (its
    /// `redirect_url` and provider uuid), as a person at the login page would: the
    /// `sso_token`, or nil to leave instead.
    public var ssoSignIn: (@Sendable (_ redirectURL: String, _ idp: String) -> String?)?

    /// `observer` sees every message sent to the client (`sent` true) and every one it reported, as they pass.
    public init(client: ClientProcess, observer: (@Sendable (_ sent: Bool, _ message: JSONValue) -> Void)? = nil) {
        self.client = client
        self.observer = observer
    }

    /// Seconds since the session began.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// Asks the client to leave (sends `leave` once).
    public func leave() { send(["type": "leave"]) }

    /// Sends any message to the client (a `leave` counts as the one `leave`).
    public func send(_ message: JSONValue) {
        if message["type"]?.stringValue == "leave" {
            guard leaveLock.withLock({ defer { wantsLeave = true }; return !wantsLeave }) else { return }
        }
        observer?(true, message)
        client.send(message)
    }

    private func received(_ message: JSONValue, into transcript: inout Transcript) {
        transcript.messages.append((elapsed, message))
        observer?(false, message)
    }

    /// The answer to an `sso_required` report: the provider to choose (`answers["sso_idp"]`,
    /// by uuid or name, among those listed), or for a redirect the `sso_token`
    /// (`answers["sso_token"]` as given, else a sign-in at the provider).
    private func ssoAnswer(_ m: JSONValue, _ answers: [String: String]) -> JSONValue? {
        if let listed = m["idps"]?.arrayValue {
            guard let wanted = answers["sso_idp"] else { return nil }
            let match = listed.first { $0["uuid"]?.stringValue == wanted }
                ?? listed.first { $0["name"]?.stringValue?.lowercased() == wanted.lowercased() }
            return ["type": "sso", "idp": .string(match?["uuid"]?.stringValue ?? wanted)]
        }
        if let url = m["redirect_url"]?.stringValue {
            if let token = answers["sso_token"] { return ["type": "sso", "sso_token": .string(token)] }
            guard answers["sso_idp"] != nil, let idp = m["idp"]?["uuid"]?.stringValue,
                  let token = ssoSignIn?(url, idp) else { return nil }
            return ["type": "sso", "sso_token": .string(token)]
        }
        return nil
    }

    /// Seconds a client may take to send its first message, on top of the deadline.
    public static let startupAllowance = 20.0

    public func run(start: JSONValue, answers: [String: String] = [:], deadline: Double, grace: Double = 2,
                    startupAllowance: Double = DriverSession.startupAllowance,
                    onMessage: (JSONValue, DriverSession) -> Void = { _, _ in }) -> Transcript {
        var transcript = Transcript()
        send(start)
        // The deadline counts from the client's first message, so that its start-up (a browser
        // can take 17 s on a loaded machine) is not taken from the scenario; a client that says
        // nothing is told to leave once the deadline and the start-up allowance have passed.
        var firstMessage: Double?
        loop: while true {
            let remaining = (firstMessage.map { $0 + deadline } ?? deadline + startupAllowance) - elapsed
            if remaining <= 0 {
                transcript.hitDeadline = true
                break
            }
            switch client.next(timeout: min(remaining, 0.1)) {
            case nil:
                // Exited, though something it started may hold stdout open: stop waiting for
                // the end of stdout (the drain below takes what it wrote).
                if !client.isRunning { break loop }
                continue
            case .closed?:
                break loop
            case .notJSON(let line)?:
                transcript.protocolErrors.append(line)
            case .message(let m)?:
                if firstMessage == nil { firstMessage = elapsed }
                received(m, into: &transcript)
                switch m["type"]?.stringValue {
                case "pin_required":
                    if let pin = answers["pin"] { send(["type": "pin", "pin": .string(pin)]) } else { leave() }
                case "extension_required":
                    if let ext = answers["extension"] { send(["type": "extension", "extension": .string(ext)]) } else { leave() }
                case "sso_required":
                    if let answer = ssoAnswer(m, answers) { send(answer) } else { leave() }
                default:
                    break
                }
                onMessage(m, self)
            }
        }
        if transcript.hitDeadline { leave() }
        // After leave the client should report `left` and exit; collect what comes.
        let stopDeadline = Date().addingTimeInterval(grace)
        collect: while client.isRunning && Date() < stopDeadline {
            switch client.next(timeout: 0.1) {
            case .message(let m)?: received(m, into: &transcript)
            case .notJSON(let line)?: transcript.protocolErrors.append(line)
            case .closed?: break collect
            case nil: continue
            }
        }
        // SIGTERM comes one grace period after leave, however that period was spent.
        transcript.termination = client.stop(grace: grace, firstWait: max(0, stopDeadline.timeIntervalSinceNow))
        // What is left in the pipe (a little wait: the reader may still be on the last lines).
        drain: while true {
            switch client.next(timeout: 0.05) {
            case .message(let m)?: received(m, into: &transcript)
            case .notJSON(let line)?: transcript.protocolErrors.append(line)
            default: break drain
            }
        }
        transcript.standardError = client.standardError
        return transcript
    }
}
