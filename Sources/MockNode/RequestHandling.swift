import Foundation
import MicroHTTP
import PexipWire

extension MockNode {
    /// Every request enters here (on a libmicrohttpd thread).
    func handle(_ req: HTTPRequest) -> HTTPResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let origin = configuration.cors ? req.headers["Origin"] : nil
        let result: HTTPResult
        if req.method == "OPTIONS" {
            result = preflight(req, origin: origin)
        } else if req.path == "/_mock" || req.path.hasPrefix("/_mock/") {
            result = handleControl(req)
        } else if let auth = configuration.proxyAuth, !auth.admits(req.headers) {
            var e = MockNode.requestEntry(req)
            e.status = auth.status
            e.detail = "refused by the simulated proxy (no or wrong Basic credentials)"
            mutate { $0.record(e) }
            result = .response(auth.refusal)
        } else {
            result = handleWithFaults(req)
        }
        log(req, result, since: started)
        return withCORS(result, origin: origin)
    }

    /// Handles a client API request under the state lock and journals it,
    /// applying the first matching fault rule.
    private func handleWithFaults(_ req: HTTPRequest) -> HTTPResult {
        let entry = MockNode.requestEntry(req)
        let request = ClientRequest(req)
        let (outcome, delayed, arrived): (FaultOutcome, (rule: FaultRule, seconds: Double)?, Double) = mutate { s in
            guard let fault = s.takeFault(method: req.method, path: req.path) else {
                return (.pending(s.process(request, entry: entry)), nil, 0)
            }
            var e = entry
            e.fault = fault.label
            switch fault.effect {
            case .drop:
                e.detail = "connection dropped"
                s.record(e)
                return (.done(.drop), nil, 0)
            case .status(let status, let body):
                let response = body.map { HTTPResponse(status: status, contentType: "application/json", text: $0) }
                    ?? Reply.json(status, "Fault injected")
                e.status = status
                e.response = response.bodyText
                s.record(e)
                return (.done(.response(response)), nil, 0)
            case .delay(let seconds):
                return (.done(.drop), (fault, seconds), s.wallElapsed)
            }
        }
        guard let (fault, seconds) = delayed else {
            switch outcome {
            case .done(let result): return result
            case .pending(let answer):
                defer { journalSignal.bump() }
                let result = answer.finish(journal)
                watch(result, participant: answer.note.participant)
                return result
            }
        }
        let deferred = DeferredResponse()
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            var e = entry
            e.fault = fault.label
            e.received = arrived
            let answer = mutate { $0.process(request, entry: e) }
            let late = answer.finish(journal)
            watch(late, participant: answer.note.participant)
            journalSignal.bump()
            deferred.fulfil(withCORS(late, origin: configuration.cors ? req.headers["Origin"] : nil))
        }
        return .deferred(deferred)
    }

    private enum FaultOutcome {
        case done(HTTPResult)
        case pending(PendingAnswer)
    }

    static func requestEntry(_ req: HTTPRequest) -> JournalEntry {
        JournalEntry(.request(JournalEntry.Request(
            method: req.method, path: req.path,
            query: req.query.isEmpty ? nil : req.query.map { JournalEntry.Field($0.name, $0.value) },
            headers: req.headers.fields.map { JournalEntry.Field($0.name, $0.value) },
            body: req.body.isEmpty ? nil : req.bodyText, remote: req.remoteAddress)))
    }

    // MARK: - CORS (§10)

    private func preflight(_ req: HTTPRequest, origin: String?) -> HTTPResult {
        var headers = HTTPHeaders()
        headers.set("Allow", "GET, POST, PUT, DELETE, OPTIONS")
        if origin != nil {
            headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
            let requested = req.headers["Access-Control-Request-Headers"] ?? ""
            let names = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && $0 != "*" }
            headers.set("Access-Control-Allow-Headers",
                        names.isEmpty ? "Content-Type, token, pin" : names.joined(separator: ", "))
            headers.set("Access-Control-Max-Age", "600")
        }
        mutate { s in
            var e = MockNode.requestEntry(req)
            e.status = 204
            s.record(e)
        }
        return .response(HTTPResponse(status: 204, headers: headers))
    }

    func withCORS(_ result: HTTPResult, origin: String?) -> HTTPResult {
        guard let origin, !origin.isEmpty else { return result }
        func add(_ h: inout HTTPHeaders) {
            h.set("Access-Control-Allow-Origin", origin)
            h.set("Access-Control-Allow-Credentials", "true")
            h.set("Vary", "Origin")
        }
        switch result {
        case .response(var r):
            add(&r.headers)
            return .response(r)
        case .stream(let s, var h):
            add(&h)
            return .stream(s, headers: h)
        case .drop, .deferred:
            return result
        }
    }

    private func log(_ req: HTTPRequest, _ result: HTTPResult, since started: UInt64) {
        guard configuration.logger.logLevel <= .info else { return }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let outcome: String
        switch result {
        case .response(let r): outcome = "\(r.status)"
        case .stream: outcome = "200 event stream"
        case .drop: outcome = "dropped"
        case .deferred: outcome = "delayed"
        }
        configuration.logger.info("\(req.method) \(req.path) → \(outcome) (\(String(format: "%.1f", ms)) ms)")
    }
}

/// A routed request whose answer is still to be encoded and journaled.
struct PendingAnswer {
    let seq: Int
    let note: RequestNote
    let reply: NodeReply

    /// Encodes the answer and fills in the request's journal entry.
    func finish(_ journal: JournalStore) -> HTTPResult {
        let result = reply.encoded()
        journal.update(seq: seq) { e in
            e.pending = false
            guard case .request(var r) = e.payload else { return }
            r.alias = note.alias
            r.participant = note.participant
            switch result {
            case .response(let answer):
                r.status = answer.status
                r.response = answer.bodyText
            case .stream:
                r.status = 200
                r.response = "(event stream)"
            case .drop:
                r.detail = "connection dropped"
            case .deferred:
                r.detail = "answer deferred"
            }
            e.payload = .request(r)
        }
        return result
    }
}

extension NodeState {
    /// Routes a client API request and journals it (the request's entry
    /// before whatever events it caused). The answer is encoded by `finish`,
    /// after the state lock is released.
    mutating func process(_ request: ClientRequest, entry: JournalEntry) -> PendingAnswer {
        var entry = entry
        entry.pending = true
        let seq = record(entry)
        var note = RequestNote()
        let reply = handleClient(request, note: &note)
        return PendingAnswer(seq: seq, note: note, reply: reply)
    }

    /// The first fault rule matching the request, counted down.
    mutating func takeFault(method: String, path: String) -> FaultRule? {
        guard !faults.isEmpty, let i = faults.firstIndex(where: { $0.rule.matches(method: method, path: path) }) else { return nil }
        let rule = faults[i].rule
        if faults[i].remaining > 0 {
            faults[i].remaining -= 1
            if faults[i].remaining == 0 { faults.remove(at: i) }
        }
        return rule
    }
}
