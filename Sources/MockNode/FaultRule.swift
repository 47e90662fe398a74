/// A fault to inject: the next `count` client requests whose path matches
/// `request` (and method, if given) get what `effect` says. Its JSON is the
/// scenario files' `fail:` mapping: `{request, method?, status, body?}`,
/// `{request, delay}` or `{request, drop: true}`, with `count` (default 1).
public struct FaultRule: Codable, Sendable, Equatable {
    /// What happens to a matching request.
    public enum Effect: Sendable, Equatable {
        /// Answered with `status` and `body` (JSON text; default the envelope with "Fault injected"),
        /// the node's state untouched.
        case status(Int, body: String? = nil)
        /// Handled normally after this many seconds.
        case delay(Double)
        /// The connection is closed without an answer.
        case drop
    }

    /// A pattern matched against the request path: `*` matches any run of
    /// characters; a pattern without `/` matches the last path segment(s)
    /// (e.g. `refresh_token`, `participants/*/mute`). Named as in scenario files; the
    /// control API also takes it as `path`, its earlier name.
    public var request: String
    public var method: String?
    public var effect: Effect
    /// How many matching requests it applies to (0 = every one until cleared).
    public var count: Int
    /// A name for the journal; defaults to a description of the rule.
    public var name: String?

    public init(request: String, method: String? = nil, _ effect: Effect, count: Int = 1, name: String? = nil) {
        self.request = request
        self.method = method
        self.effect = effect
        self.count = count
        self.name = name
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let request = try c.decodeIfPresent(String.self, forKey: .request) ?? c.decodeIfPresent(String.self, forKey: .path) else {
            throw DecodingError.keyNotFound(CodingKeys.request, .init(codingPath: c.codingPath,
                debugDescription: "a fault needs the request it applies to, e.g. refresh_token"))
        }
        self.request = request
        method = try c.decodeIfPresent(String.self, forKey: .method)
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
        name = try c.decodeIfPresent(String.self, forKey: .name)
        let status = try c.decodeIfPresent(Int.self, forKey: .status)
        let body = try c.decodeIfPresent(String.self, forKey: .body)
        let delay = try c.decodeIfPresent(Double.self, forKey: .delay)
        let drop = try c.decodeIfPresent(Bool.self, forKey: .drop) ?? false
        // `action` is the earlier, explicit way of saying which.
        let action = try c.decodeIfPresent(String.self, forKey: .action)
            ?? (drop ? "drop" : status != nil ? "status" : delay != nil ? "delay" : nil)
        switch action {
        case "status": effect = .status(status ?? 0, body: body)
        case "delay": effect = .delay(delay ?? .nan)
        case "drop": effect = .drop
        case nil:
            throw DecodingError.dataCorruptedError(forKey: .status, in: c,
                debugDescription: "a fault needs one of status (with body?), delay or drop: true")
        default:
            throw DecodingError.dataCorruptedError(forKey: .action, in: c,
                debugDescription: "action must be status, delay or drop (got '\(action!)')")
        }
        if [status != nil, delay != nil, drop].filter({ $0 }).count > 1 {
            throw DecodingError.dataCorruptedError(forKey: .status, in: c,
                debugDescription: "a fault takes exactly one of status, delay or drop: true")
        }
    }

    enum CodingKeys: String, CodingKey { case request, path, method, action, status, body, delay, drop, count, name }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(request, forKey: .request)
        try c.encodeIfPresent(method, forKey: .method)
        switch effect {
        case .status(let status, let body):
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(body, forKey: .body)
        case .delay(let seconds): try c.encode(seconds, forKey: .delay)
        case .drop: try c.encode(true, forKey: .drop)
        }
        try c.encode(count, forKey: .count)
        try c.encodeIfPresent(name, forKey: .name)
    }

    /// Why the rule cannot be used, if it cannot.
    public var problem: String? {
        switch effect {
        case .status(let status, _):
            // 1xx are not final answers: a client would wait for the real one.
            if !(200...599).contains(status) { return "a status fault needs status 200-599" }
        case .delay(let delay):
            if delay.isNaN { return "a delay fault needs delay in seconds (\(Limits.delay.rangeText))" }
            if let problem = Limits.delay.problem(delay, "delay") { return problem }
        case .drop: break
        }
        return Limits.count.problem(count, "count (0 = every matching request)")
    }

    /// A short description for the journal.
    public var label: String {
        if let name { return name }
        switch effect {
        case .status(let status, _): return "status \(status) on \(request)"
        case .delay(let delay): return "delay \(delay)s on \(request)"
        case .drop: return "drop on \(request)"
        }
    }

    /// Whether the rule applies to a request.
    public func matches(method: String, path requestPath: String) -> Bool {
        if let m = self.method, m.uppercased() != method.uppercased() { return false }
        if request.hasPrefix("/") { return Self.glob(request, requestPath) }
        return Self.glob("*/" + request, requestPath) || Self.glob(request, requestPath)
    }

    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == t[ti] || p[pi] == UInt8(ascii: "?") {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
