import Foundation
import PexipClient
import PexipClientNIO
import PexipWire

/// Ways to change what the driver does, for adapters that wrap it (logging,
/// a different transport) and for the conformance suite's own tests, which
/// break the reference client on purpose to prove each scenario can fail.
public struct DriverHooks: Sendable {
    /// Wraps the transport the session uses.
    public var transport: @Sendable (any PexipTransport) -> any PexipTransport = { $0 }
    /// Sees each runner message (the `start` too); returning nil drops it.
    public var incoming: @Sendable (JSONValue) -> JSONValue? = { $0 }
    /// Sees each message before it is written; returns the lines to write in its place.
    public var outgoing: @Sendable (JSONValue) -> [String] = { [$0.jsonText] }
    /// Changes the session's timing and retry policy.
    public var timing: @Sendable (SessionTiming) -> SessionTiming = { $0 }

    public init() {}
}

/// The client driver protocol v1 (docs/driver-protocol.md) on stdin/stdout,
/// driving a `PexipSession`.
public struct Driver: Sendable {
    let reporter: Reporter
    let hooks: DriverHooks

    public init(hooks: DriverHooks = DriverHooks()) {
        self.hooks = hooks
        reporter = Reporter(outgoing: hooks.outgoing)
    }

    /// Runs one session; returns the exit status.
    public func run() async -> Int32 {
        let mailbox = Mailbox()
        var lines = stdinLines().makeAsyncIterator()
        guard let first = await lines.next() else {
            log("no start message: input ended")
            return 1
        }
        guard let parsed = JSONValue.parse(first), parsed.objectValue != nil, let startJSON = hooks.incoming(parsed) else {
            reporter.failed("protocol", "the first line is not a JSON object")
            return 1
        }
        let start = DriverInput(json: startJSON)
        guard start.type == "start" else {
            reporter.failed("protocol", "the first message must be start, not '\(start.type)'")
            return 1
        }
        guard startJSON["protocol"]?.numberValue == 1 else {
            reporter.failed("protocol", "protocol \(startJSON["protocol"]?.jsonText ?? "missing") is not supported (this client speaks 1)")
            return 1
        }
        let reader = Task {
            while let line = await lines.next() {
                guard let json = JSONValue.parse(line), json.objectValue != nil else {
                    log("ignoring a line that is not a JSON object: \(line.prefix(200))")
                    continue
                }
                guard let kept = hooks.incoming(json) else { continue }
                await mailbox.put(DriverInput(json: kept))
            }
            await mailbox.close()
        }
        defer { reader.cancel() }

        // NIO rather than URLSession: on Linux an open URLSession stream keeps a core busy
        // (dispatch sources firing without end; measured in docs/client.md), and only NIO takes tls_ca.
        let ownTransport: NIOTransport
        do {
            ownTransport = try NIOTransport(trustedCAPEM: start.string("tls_ca"))
        } catch {
            reporter.failed("protocol", "tls_ca: \(error)")
            return 1
        }
        defer { Task { await ownTransport.shutdown() } }
        let dnsServer = startJSON["dns"]?["server"]?.stringValue
        let node = start.string("node").flatMap { URL(string: $0) }.flatMap { $0.scheme == nil ? nil : $0 }
        guard node != nil || dnsServer != nil else {
            reporter.failed("protocol", "start has neither a usable node URL nor dns.server")
            return 1
        }
        guard let conference = start.string("conference"), !conference.isEmpty else {
            reporter.failed("protocol", "start has no conference")
            return 1
        }
        var options = JoinOptions(displayName: start.string("display_name") ?? "pexip-client",
                                  pin: start.string("pin"), conferenceExtension: start.string("extension"))
        if let auth = startJSON["proxy_auth"], let user = auth["username"]?.stringValue {
            options.credentials = BasicCredentials(username: user, password: auth["password"]?.stringValue ?? "")
        }
        options.transport = hooks.transport(ownTransport)
        options.timing = hooks.timing(options.timing)
        let reporter = self.reporter
        options.pinPrompt = { prompt in
            reporter.send("pin_required", ["guest_pin": .string(prompt.guestPINRequired ? "required" : "none")])
            guard let answer = await mailbox.take(["pin", "leave"]), answer.type == "pin" else { return nil }
            return answer.string("pin") ?? ""
        }
        options.extensionPrompt = {
            reporter.send("extension_required")
            guard let answer = await mailbox.take(["extension", "leave"]), answer.type == "extension" else { return nil }
            return answer.string("extension")
        }
        options.ssoPrompt = { prompt in
            let idp = { (p: IdentityProvider) -> JSONValue in ["uuid": .string(p.uuid), "name": .string(p.name)] }
            let field: String
            switch prompt {
            case .chooseProvider(let list):
                reporter.send("sso_required", ["idps": .array(list.map(idp))])
                field = "idp"
            case .signIn(let url, let provider):
                reporter.send("sso_required", ["redirect_url": .string(url), "idp": idp(provider)])
                field = "sso_token"
            }
            guard let answer = await mailbox.take(["sso", "leave"]), answer.type == "sso" else { return nil }
            return answer.string(field)
        }

        let current = CurrentSession()
        // Started after the first join: until then a leave is the prompts' to take.
        var commands: Task<Void, Never>?
        defer { commands?.cancel() }

        var target = (node: node, conference: conference)
        while true {
            let session: PexipSession
            do {
                if let node = target.node {
                    session = try await PexipSession.join(node: node, conference: target.conference, options: options)
                } else {
                    let resolver = try NodeResolver(server: dnsServer)
                    session = try await PexipSession.join(address: target.conference, resolver: resolver, options: options)
                }
            } catch let error as PexipClientError {
                switch error {
                case .pinRequired, .extensionRequired, .ssoRequired, .cancelled:
                    // The prompts only give up when the runner said leave (or input ended): nothing to release.
                    reporter.send("left")
                    return 0
                default:
                    break
                }
                log("join failed: \(error)")
                reporter.failed(error.driverReason, error.description)
                return 1
            } catch {
                reporter.failed("unreachable", "\(error)")
                return 1
            }
            reporter.send("joined", ["participant_uuid": .string(session.participantUUID),
                                     "role": .string(session.role.rawValue),
                                     "service_type": .string(session.serviceType.rawValue),
                                     "display_name": .string(session.displayName)])
            await current.set(session)
            if commands == nil {
                commands = Task {
                    while let message = await mailbox.take(["send_message", "leave"]) {
                        if message.type == "leave" { break }
                        do {
                            try await current.send(message.string("text") ?? "")
                        } catch {
                            log("send_message failed: \(error)")
                        }
                    }
                    await current.leave()
                }
            }

            var referred = false
            for await event in session.events {
                switch event {
                case .roster(let participants):
                    reporter.send("roster", ["participants": .array(participants.map {
                        ["uuid": .string($0.uuid), "display_name": .string($0.displayName), "role": .string($0.role.rawValue)]
                    })])
                case .message(let m):
                    reporter.send("message", ["origin": .string(m.origin), "uuid": .string(m.uuid), "text": .string(m.payload)])
                case .reconnected:
                    log("event stream re-established")
                    reporter.send("reconnected")
                case .disconnected(let reason):
                    reporter.send("disconnected", ["reason": .string(reason)])
                    return 0
                case .failed(let error):
                    reporter.failed(error.driverReason, error.description)
                    return 1
                case .left:
                    reporter.send("left")
                    return 0
                case .referred(let alias, let token):
                    // Follow it as Pexip's clients do: the old token is released, the new alias joined
                    // with the one-time token, and `joined` reported again.
                    log("referred to \(alias)")
                    options.oneTimeToken = token
                    options.conferenceExtension = nil  // a reception's answer; the refer names the conference
                    target = (session.node, alias)
                    referred = true
                case .conferenceStatus, .stage, .other:
                    continue
                }
            }
            if !referred { return 0 }
        }
    }
}

/// The session commands go to: the newest one after a `refer`; a leave asked for
/// while a re-join is under way leaves the new session at once.
private actor CurrentSession {
    private var session: PexipSession?
    private var leaving = false

    func set(_ session: PexipSession) async {
        self.session = session
        if leaving { await session.leave() }
    }

    func leave() async {
        leaving = true
        await session?.leave()
    }

    func send(_ text: String) async throws {
        try await session?.send(message: text)
    }
}
