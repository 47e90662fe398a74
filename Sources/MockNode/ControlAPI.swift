import Foundation
import MicroHTTP
import PexipWire

/// The control API under `/_mock/`: the node's commands (`NodeCommand`) and
/// a few reads, JSON in and out. `GET /_mock` lists both, generated from
/// their specs. Errors answer `{"error": "..."}`.
enum ControlQuery: CaseIterable {
    case index, conferences, participants, faults, journal

    var path: String {
        switch self {
        case .index: return ""
        case .conferences: return "conferences"
        case .participants: return "participants"
        case .faults: return "faults"
        case .journal: return "journal"
        }
    }

    var help: (String, String) {
        switch self {
        case .index: return ("GET /_mock", "this list")
        case .conferences: return ("GET /_mock/conferences", "conference settings")
        case .participants: return ("GET /_mock/participants[?alias=A]", "participants with uuid, role, token, open streams")
        case .faults: return ("GET /_mock/faults", "armed fault rules, each with its remaining count")
        case .journal:
            return ("GET /_mock/journal?after=N&limit=M",
                    "journal entries after seq N, a page at a time (1000, or M up to 10000; 4 MiB) {entries, head, dropped, next, more}")
        }
    }
}

extension MockNode {
    /// `GET /_mock`: every route with what it does, its fields and its answer.
    static let controlIndex: [String: String] = {
        var index = Dictionary(uniqueKeysWithValues: ControlQuery.allCases.map(\.help))
        index["GET /_mock/sso/<idp uuid>?conference=A"] =
            "an identity provider's login page (the node's SSO redirect_url): signs in at once and shows the sso_token, posting it to the opener; JSON {result, token, idp} for Accept: application/json"
        for spec in NodeCommand.specs {
            for route in spec.routes {
                var text = spec.summary
                let fields = spec.fieldsText(inPath: route.path)
                if !fields.isEmpty { text += " " + fields }
                text += " → " + spec.reply
                if spec.inTimeline { text += " (timeline: \(spec.name))" }
                index["\(route.method) /_mock/\(route.path)"] = text
            }
        }
        return index
    }()

    func handleControl(_ req: HTTPRequest) -> HTTPResult {
        let parts = req.path.split(separator: "/").map(String.init).dropFirst()  // drop "_mock"
        let segs = Array(parts)
        do {
            return try routeControl(req, segs)
        } catch let error as MockNodeError {
            return controlReply(error.httpStatus, ["error": .string(error.description)])
        } catch {
            return controlReply(400, ["error": .string(describe(error))])
        }
    }

    private func routeControl(_ req: HTTPRequest, _ p: [String]) throws -> HTTPResult {
        if req.method == "GET", p.count == 2, p[0] == "sso" { return try ssoPage(req, idp: p[1]) }
        if req.method == "GET", let query = ControlQuery.allCases.first(where: { p.joined(separator: "/") == $0.path }) {
            return try controlReply(200, read(query, req))
        }
        guard let (spec, fromPath) = NodeCommand.route(req.method, p) else {
            let methods = NodeCommand.methods(for: p) + (ControlQuery.allCases.contains { p.joined(separator: "/") == $0.path } ? ["GET"] : [])
            if !methods.isEmpty {
                return controlReply(405, ["error": .string("\(req.path) takes \(methods.joined(separator: " or ")), not \(req.method)")])
            }
            return controlReply(404, ["error": .string("no control request \(req.method) \(req.path); GET /_mock lists them")])
        }
        var args = CommandArguments(try controlBody(req).objectValue ?? [:])
        for (key, value) in fromPath.values {
            if let given = args[key], given != value {
                throw MockNodeError.badRequest("\(key) in the body (\(given.jsonText)) differs from the path ('\(value.stringValue ?? "")')")
            }
            args[key] = value
        }
        return controlReply(200, try perform(try spec.command(args)))
    }

    private func read(_ query: ControlQuery, _ req: HTTPRequest) throws -> JSONValue {
        switch query {
        case .index:
            return .object(MockNode.controlIndex.mapValues { .string($0) })
        case .conferences:
            return JSONValue.from(conferences())
        case .participants:
            return JSONValue.from(participants(in: req.queryValue("alias")))
        case .faults:
            return .array(faults().map { rule, remaining -> JSONValue in
                var o = JSONValue.from(rule).objectValue ?? [:]
                o["remaining"] = .number(Double(remaining))
                return .object(o)
            })
        case .journal:
            let after = try Self.queryInt(req, "after", default: Int(req.queryValue("since") ?? "0") ?? 0, 0...Int.max)
            let limit = try Self.queryInt(req, "limit", default: Self.journalPage, 1...Self.journalPage * 10)
            let entries = journal(after: after, limit: limit, byteLimit: Self.journalPageBytes)
            let next = entries.last?.seq ?? after  // the `after` of the next page
            let more = !journal(after: next, limit: 1).isEmpty
            return ["entries": JSONValue.from(entries), "head": .number(Double(journalHead)),
                    "dropped": .number(Double(journalDropped)), "next": .number(Double(next)), "more": .bool(more)]
        }
    }

    private func controlBody(_ req: HTTPRequest) throws -> JSONValue {
        if req.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 }) { return .object([:]) }
        guard let v = JSONValue.parse(req.body) else { throw MockNodeError.badRequest("body is not valid JSON") }
        guard v.objectValue != nil else { throw MockNodeError.badRequest("body must be a JSON object") }
        return v
    }

    /// Entries in one page of `GET /_mock/journal` unless `limit` says otherwise (at most ten times this).
    static let journalPage = 1_000
    /// A page also stops once its entries pass this many bytes (after the first entry).
    static let journalPageBytes = 4 << 20

    /// A whole-number query argument within `range`.
    static func queryInt(_ req: HTTPRequest, _ name: String, default value: Int, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = req.queryValue(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            let upper = range.upperBound == Int.max ? "" : " to \(range.upperBound)"
            throw MockNodeError.badRequest("\(name) must be a whole number from \(range.lowerBound)\(upper) (got '\(text)')")
        }
        return n
    }

    /// `GET /_mock/sso/<idp>?conference=<alias>`: the identity provider's login page, signed in
    /// at once. A page with the `sso_token` that posts it to the window that opened it (as
    /// PexRTC's pop-up waits for: `{result: "success", token}`); JSON for `Accept: application/json`.
    private func ssoPage(_ req: HTTPRequest, idp: String) throws -> HTTPResult {
        let alias = req.queryValue("conference") ?? ""
        guard !alias.isEmpty else { throw MockNodeError.badRequest("conference (the alias, in the query) is required") }
        let answer = try perform(.ssoLogin(conference: alias, idp: idp.removingPercentEncoding ?? idp))
        let token = answer["sso_token"]?.stringValue ?? ""
        if req.headers["Accept"]?.contains("application/json") == true {
            return controlReply(200, ["result": "success", "token": .string(token), "idp": answer["idp"] ?? .null])
        }
        func html(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let name = answer["idp"]?["name"]?.stringValue ?? idp
        let page = """
            <!doctype html><html><head><meta charset="utf-8"><title>MockMCU sign-in: \(html(name))</title></head>
            <body><p>Signed in at <b>\(html(name))</b> for <b>\(html(alias))</b>.</p>
            <p>sso_token: <code id="sso_token">\(html(token))</code> (good once, within 60 s)</p>
            <script>if (window.opener) window.opener.postMessage({result: "success", token: \(WireJSON.text(token))}, "*");</script>
            </body></html>
            """
        var headers = HTTPHeaders()
        headers.set("Content-Type", "text/html; charset=utf-8")
        return .response(HTTPResponse(status: 200, headers: headers, body: Array(page.utf8)))
    }

    private func controlReply(_ status: Int, _ value: JSONValue) -> HTTPResult {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        return .response(HTTPResponse(status: status, headers: headers, body: WireJSON.bytes(value)))
    }
}

