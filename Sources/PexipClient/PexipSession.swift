import Foundation
import PexipWire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A participant's presence in a Pexip conference as an API participant:
/// joined with `join`, kept alive (token refresh, event stream with
/// reconnect) in the background, left with `leave`.
///
/// ```swift
/// var options = JoinOptions(displayName: "Alice")
/// options.pinPrompt = { prompt in await askUser(prompt) }
/// let session = try await PexipSession.join(node: url, conference: "meet", options: options)
/// for await event in session.events { … }   // ends after .left, .disconnected or .failed
/// await session.leave()
/// ```
///
/// Cancelling the task that iterates `events` leaves the conference.
public actor PexipSession {
    /// Where the session is in its life.
    public enum Phase: Sendable, Equatable {
        case active
        case left
        case disconnected(String)
        case failed(PexipClientError)
        /// Moved by a `refer` to another alias (`SessionEvent.referred`).
        case referred(String)
    }

    /// The session's reports, ending when the session does.
    public nonisolated let events: AsyncStream<SessionEvent>
    public nonisolated let participantUUID: String
    /// The role the node gave at join (HOST or GUEST).
    public nonisolated let role: TokenRole
    public nonisolated let displayName: String
    public nonisolated let serviceType: ServiceType
    /// The alias the session uses for its requests (the one dialled).
    public nonisolated let alias: String
    /// The node the session talks to.
    public nonisolated var node: URL { nodeClient.base }

    private let continuation: AsyncStream<SessionEvent>.Continuation
    private let nodeClient: NodeClient
    /// Whether the session made its transport (and so shuts it down at the end).
    private let ownsTransport: Bool
    private let timing: SessionTiming
    private var token: String
    private var expires: Double
    private var issuedAt: Date
    public private(set) var phase: Phase = .active
    public private(set) var roster = Roster()
    /// The breakout room the session is in (nil: the main room), its identity in each room it
    /// was given one in, and those rooms' rosters (from their `breakout_event`s).
    public private(set) var breakoutRoom: String?
    private var breakoutIdentities: [String: String] = [:]
    private var breakoutRosters: [String: Roster] = [:]
    private var refreshTask: Task<Void, Never>?
    /// Refresh requests on the wire: their task must not be cancelled, and
    /// `leave` waits for them so the release is the token's last use.
    private var refreshesInFlight = 0
    private var refreshing: Bool { refreshesInFlight > 0 }
    /// Timer-driven refreshes (`SessionTiming.refreshOnTimer`) still running.
    private var timerRefreshes: [Task<Void, Never>] = []
    /// App requests (chat) on the wire; `leave` waits for them too.
    private var requestsInFlight = 0
    private var quietWaiters: [CheckedContinuation<Void, Never>] = []
    /// Requests waiting for a refresh in flight, so that they carry its new token
    /// (a node that revokes old tokens on refresh would refuse the old one).
    private var refreshWaiters: [CheckedContinuation<Void, Never>] = []
    private var streamTask: Task<Void, Never>?
    private var stream: (any EventStreamConnection)?

    init(node: NodeClient, alias: String, result: RequestTokenResult, timing: SessionTiming, ownsTransport: Bool) {
        (events, continuation) = AsyncStream.makeStream(of: SessionEvent.self)
        self.nodeClient = node
        self.ownsTransport = ownsTransport
        self.alias = alias
        self.timing = timing
        participantUUID = result.participantUUID
        role = result.role
        displayName = result.displayName
        serviceType = result.currentServiceType ?? result.serviceType ?? .conference
        token = result.token
        expires = result.expiresSeconds ?? 120
        issuedAt = Date()
    }

    /// Joins `conference` on the node at `node` (e.g. `https://pexip.example.com`),
    /// asking the prompts in `options` for a PIN or extension when the node wants one.
    public static func join(node: URL, conference: String, options: JoinOptions) async throws -> PexipSession {
        let client = NodeClient(base: node, credentials: options.credentials, timeout: options.timing.requestTimeout,
                                transport: options.transport ?? URLSessionTransport())
        let result: RequestTokenResult
        do {
            result = try await JoinFlow(node: client, alias: conference, options: options).run()
        } catch {
            if options.transport == nil { await client.transport.shutdown() }
            throw error
        }
        let session = PexipSession(node: client, alias: conference, result: result, timing: options.timing,
                                   ownsTransport: options.transport == nil)
        await session.begin()
        return session
    }

    /// Joins `alias@domain`, finding the node by DNS (`NodeResolver`): the
    /// candidates are tried in order, and the first whose
    /// `GET /api/client/v2/status` answers 200 is used.
    public static func join(address: String, resolver: NodeResolver? = nil,
                            options: JoinOptions) async throws -> PexipSession {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex,
              address.index(after: at) != address.endIndex else {
            throw PexipClientError.notFound("'\(address)' is not conference@domain")
        }
        let alias = String(address[..<at]), domain = String(address[address.index(after: at)...])
        let resolver = try resolver ?? NodeResolver()
        var tried: [String] = []
        for node in try await resolver.candidates(for: domain) {
            let probe = NodeClient(base: node, credentials: options.credentials,
                                   timeout: min(5, options.timing.requestTimeout),
                                   transport: options.transport ?? URLSessionTransport())
            let status = URL(string: APIPath.status, relativeTo: node)!.absoluteURL
            if let (code, _) = try? await probe.send(probe.exchange(status)), code == 200 {
                return try await join(node: node, conference: alias, options: options)
            }
            tried.append(node.absoluteString)
        }
        throw PexipClientError.unreachable("no node for \(domain) answered (tried \(tried.joined(separator: ", ")))")
    }

    private func begin() {
        continuation.onTermination = { [weak self] reason in
            guard case .cancelled = reason, let self else { return }
            Task { await self.leave() }
        }
        refreshTask = Task { await self.refreshLoop() }
        streamTask = Task { await self.streamLoop() }
    }

    /// The token in use now (for diagnostics; it changes on every refresh).
    public var currentToken: String { token }

    // MARK: - requests

    /// Sends a chat message to the conference (in a breakout room: to the room).
    public func send(message text: String) async throws {
        try await post(inRoom("message"), body: WireJSON.bytes(MessageRequest(payload: text)))
    }

    /// Sends a chat message to one participant (of the room the session is in).
    public func send(message text: String, to participant: String) async throws {
        try await post(inRoom("participants/\(participant)/message"), body: WireJSON.bytes(MessageRequest(payload: text)))
    }

    /// `request` under the breakout room the session is in (`breakouts/<uuid>/…`), as PexRTC prefixes it.
    private func inRoom(_ request: String) -> String {
        breakoutRoom.map { "breakouts/\($0)/" + request } ?? request
    }

    /// The roster of the room the session is in.
    public var currentRoster: [Participant] {
        breakoutRoom.flatMap { breakoutRosters[$0]?.participants } ?? roster.participants
    }

    private func post(_ request: String, body: [UInt8]) async throws {
        guard phase == .active else { throw PexipClientError.cancelled }
        await refreshSettled()
        guard phase == .active else { throw PexipClientError.cancelled }
        requestsInFlight += 1
        defer {
            requestsInFlight -= 1
            if requestsInFlight == 0 {
                for waiter in quietWaiters { waiter.resume() }
                quietWaiters = []
            }
        }
        let (status, data) = try await nodeClient.post(alias, request, token: token, body: Data(body))
        switch status {
        case 200: return
        case 403: throw PexipClientError.forbidden(data.result(String.self) ?? "HTTP 403")
        case 404: throw PexipClientError.notFound(data.result(String.self) ?? request)
        default: throw PexipClientError.protocolError("\(request) answered HTTP \(status)")
        }
    }

    /// Leaves: stops the background work and releases the token, unless the
    /// node already ended the session. Idempotent.
    public func leave() async {
        guard phase == .active else { return }
        phase = .left
        stopBackground()
        await refreshTask?.value
        for tick in timerRefreshes { await tick.value }
        if requestsInFlight > 0 { await withCheckedContinuation { quietWaiters.append($0) } }
        _ = try? await nodeClient.post(alias, "release_token", token: token)
        continuation.yield(.left)
        continuation.finish()
        if ownsTransport { await nodeClient.transport.shutdown() }
    }

    /// After a `refer`: the token is released as on leave (as PexRTC does), then the session
    /// ends with `.referred`, for the app to join the new alias.
    private func handOver(_ refer: Refer) async {
        // The stream loop ends once this is under way; the transport must outlive it.
        await streamTask?.value
        await refreshTask?.value
        for tick in timerRefreshes { await tick.value }
        if requestsInFlight > 0 { await withCheckedContinuation { quietWaiters.append($0) } }
        _ = try? await nodeClient.post(alias, "release_token", token: token)
        continuation.yield(.referred(alias: refer.alias, token: refer.token))
        continuation.finish()
        if ownsTransport { await nodeClient.transport.shutdown() }
    }

    private func stopBackground() {
        // A refresh on the wire is let finish (its new token is the one to release), but a timer only ticks.
        if !refreshing || timing.refreshOnTimer { refreshTask?.cancel() }
        streamTask?.cancel()
        stream?.cancel()
        stream = nil
    }

    /// Ends the session on the node's word or after giving up; never releases.
    private func end(_ phase: Phase) {
        guard self.phase == .active else { return }
        self.phase = phase
        stopBackground()
        switch phase {
        case .disconnected(let reason): continuation.yield(.disconnected(reason: reason))
        case .failed(let error): continuation.yield(.failed(error))
        default: break
        }
        continuation.finish()
        if ownsTransport {
            let transport = nodeClient.transport
            let refresh = refreshTask
            Task {
                await refresh?.value
                await transport.shutdown()
            }
        }
    }

    // MARK: - token refresh

    /// Returns once no refresh is in flight.
    private func refreshSettled() async {
        while refreshing { await withCheckedContinuation { refreshWaiters.append($0) } }
    }

    private func refreshLoop() async {
        if timing.refreshAtJoin && !refreshedAtJoin {
            refreshedAtJoin = true
            await refreshOnce()
        }
        if timing.refreshOnTimer { return await refreshTimer() }
        while phase == .active {
            let due = issuedAt.addingTimeInterval(expires * timing.refreshFraction)
            let wait = due.timeIntervalSinceNow
            if wait > 0 {
                do { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) } catch { return }
            }
            guard phase == .active else { return }
            await refreshOnce()
        }
    }

    private var refreshedAtJoin = false

    /// Ticks every `refreshFraction` × the first token's lifetime, each tick a refresh of its own
    /// that does not wait for one already on the wire.
    private func refreshTimer() async {
        let interval = max(0.01, expires * timing.refreshFraction)
        while phase == .active {
            do { try await Task.sleep(nanoseconds: UInt64(interval * 1e9)) } catch { return }
            guard phase == .active else { return }
            timerRefreshes.append(Task { await self.refreshOnce() })
        }
    }

    private func refreshOnce() async {
        var attempt = 0
        while phase == .active {
            let used = token
            let outcome: (status: Int, body: Data)?
            refreshesInFlight += 1
            do {
                outcome = try await nodeClient.post(alias, "refresh_token", token: used)
            } catch {
                outcome = nil
            }
            refreshesInFlight -= 1
            // Keep a new token even when leaving meanwhile: the release must carry the newest.
            let renewed = outcome?.status == 200 ? outcome.flatMap { $0.body.result(RefreshTokenResult.self) } : nil
            if let renewed {
                token = renewed.token
                expires = Double(renewed.expires) ?? expires
                issuedAt = Date()
            }
            if !refreshing {
                for waiter in refreshWaiters { waiter.resume() }
                refreshWaiters = []
            }
            guard phase == .active else { return }
            // A late failure of a refresh whose token was renewed meanwhile (another tick) does not matter.
            if renewed == nil, token != used { return }
            if let (status, _) = outcome {
                switch status {
                case 200:
                    if renewed == nil { return end(.failed(.protocolError("refresh_token answer has no token"))) }
                    return
                case 403:
                    let reason = outcome?.body.result(String.self) ?? WireMessage.invalidToken
                    return end(timing.refreshForbiddenIsDisconnect ? .disconnected(reason) : .failed(.forbidden(reason)))
                case let code where timing.refreshRetryStatuses.contains(code):
                    break
                case 500...599:
                    return end(.failed(.unreachable("refresh_token answered HTTP \(status)")))
                default:
                    return end(.failed(.protocolError("refresh_token answered HTTP \(status)")))
                }
            } else if !timing.refreshRetriesTransportErrors {
                return end(.failed(.unreachable("refresh_token got no answer")))
            }
            attempt += 1
            let expiry = issuedAt.addingTimeInterval(expires)
            guard attempt <= timing.refreshRetries, expiry.timeIntervalSinceNow > 0 else {
                return end(.failed(.unreachable("token refresh kept failing")))
            }
            let delay = min(timing.refreshRetryDelay * pow(2, Double(attempt - 1)), max(0.05, expiry.timeIntervalSinceNow / 2))
            do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch { return }
        }
    }

    // MARK: - event stream

    private func streamLoop() async {
        var failures = 0
        var lost = false
        while phase == .active && !Task.isCancelled {
            if timing.streamWaitsForRefresh { await refreshSettled() }
            let connection = nodeClient.openEvents(alias, token: token, idleTimeout: timing.streamIdleTimeout)
            stream = connection
            var end: EventStreamEnd = .endedCleanly
            do {
                for try await item in connection.items {
                    switch item {
                    case .opened:
                        if lost { continuation.yield(.reconnected) }
                    case .event(let e):
                        failures = 0
                        handle(e)
                    }
                    if phase != .active { return }
                }
                end = Task.isCancelled ? .cancelled : .endedCleanly
            } catch let e as EventStreamEnd {
                end = e
            } catch {
                end = .failed("\(error)")
            }
            connection.cancel()
            guard phase == .active, end != .cancelled else { return }
            if case .status(let code) = end, code == 401 || code == 403, timing.streamForbiddenIsFinal {
                return self.end(.disconnected(code == 403 ? WireMessage.invalidToken : "HTTP 401 on the event stream"))
            }
            lost = true
            failures += 1
            if failures > timing.maxStreamFailures {
                return self.end(.failed(.unreachable("event stream lost \(failures) times in a row (\(end))")))
            }
            let base = min(timing.maxReconnectDelay, timing.reconnectDelay + timing.reconnectStep * Double(failures - 1))
            let spread = min(max(0, timing.reconnectJitter), 1)
            let delay = base * Double.random(in: (1 - spread)...(1 + spread))
            do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch { return }
        }
    }

    private func handle(_ e: SSEEvent) {
        if handleBreakout(e) { return }
        if roster.apply(e) {
            // The main room's; while in a breakout room it is kept for the way back.
            if breakoutRoom == nil { continuation.yield(.roster(roster.participants)) }
            return
        }
        switch e.event {
        case EventName.participantSyncBegin, EventName.participantSyncEnd, EventName.participantCreate,
             EventName.participantUpdate, EventName.participantDelete:
            return
        case EventName.messageReceived:
            if let m = decode(ChatMessage.self, e.data) { continuation.yield(.message(m)) }
        case EventName.conferenceUpdate:
            if let s = decode(ConferenceStatus.self, e.data) { continuation.yield(.conferenceStatus(s)) }
        case EventName.stage:
            if let s = decode([StageEntry].self, e.data) { continuation.yield(.stage(s)) }
        case EventName.disconnect:
            let reason = decode(DisconnectReason.self, e.data)?.reason ?? WireMessage.disconnectedByRemoteHost
            end(.disconnected(reason))
        case EventName.refer:
            guard let refer = decode(Refer.self, e.data), !refer.alias.isEmpty else {
                continuation.yield(.other(e))
                return
            }
            phase = .referred(refer.alias)
            stopBackground()
            Task { await self.handOver(refer) }
        case EventName.refreshToken:
            guard !refreshing else { return }  // one is on its way already
            refreshTask?.cancel()
            refreshTask = Task { await self.refreshOnce(); await self.refreshLoop() }
        default:
            continuation.yield(.other(e))
        }
    }

    /// Breakout rooms, as PexRTC follows them: `breakout_begin` gives the session an identity in
    /// a room, the room's events come as `breakout_event`, `breakout_refer` moves the session
    /// there (or back to `main`), `breakout_end` closes the room. True when `e` was one of them.
    private func handleBreakout(_ e: SSEEvent) -> Bool {
        switch e.event {
        case EventName.breakoutBegin:
            guard let b = JSONValue.parse(e.data), let room = b["breakout_uuid"]?.stringValue else { return true }
            breakoutIdentities[room] = b["participant_uuid"]?.stringValue
            breakoutRosters[room] = Roster()
        case EventName.breakoutEvent:
            guard let w = JSONValue.parse(e.data), let room = w["breakout_uuid"]?.stringValue,
                  let name = w["event"]?.stringValue else { return true }
            let inner = SSEEvent(event: name, data: (w["data"] ?? .null).jsonText, id: e.id)
            if breakoutRosters[room, default: Roster()].apply(inner) {
                if room == breakoutRoom { continuation.yield(.roster(breakoutRosters[room]?.participants ?? [])) }
            } else if room == breakoutRoom, name == EventName.messageReceived, let m = decode(ChatMessage.self, inner.data) {
                continuation.yield(.message(m))
            }
        case EventName.breakoutRefer:
            guard let b = JSONValue.parse(e.data), let room = b["breakout_uuid"]?.stringValue else { return true }
            breakoutRoom = room == "main" ? nil : room
            continuation.yield(.roster(currentRoster))
        case EventName.breakoutEnd:
            guard let b = JSONValue.parse(e.data), let room = b["breakout_uuid"]?.stringValue else { return true }
            breakoutIdentities[room] = nil
            breakoutRosters[room] = nil
            if breakoutRoom == room {
                breakoutRoom = nil
                continuation.yield(.roster(roster.participants))
            }
        default:
            return false
        }
        return true
    }
}
