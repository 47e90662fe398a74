/// A fault to inject: the next `count` client requests whose path matches
/// `path` (and method, if given) get `status`, a `delay`, or a dropped connection.
public struct FaultRule: Codable, Sendable, Equatable {
    /// What to do to a matching request.
    public enum Action: String, Codable, Sendable {
        /// Answer `status` (with `body`, or the standard envelope) without touching state.
        case status
        /// Handle normally after `delay` seconds.
        case delay
        /// Close the connection without an answer.
        case drop
    }

    /// A pattern matched against the request path: `*` matches any run of
    /// characters; a pattern without `/` matches the last path segment(s)
    /// (e.g. `refresh_token`, `participants/*/mute`). Named as in scenario files; the
    /// control API also takes it as `path`, its earlier name.
    public var request: String
    public var method: String?
    public var action: Action
    public var status: Int?
    /// JSON text of the answer's body for `status`; default: the envelope with "Fault injected".
    public var body: String?
    public var delay: Double?
    /// How many matching requests it applies to (0 = every one until cleared).
    public var count: Int
    /// A name for the journal; defaults to a description of the rule.
    public var name: String?

    public init(request: String, method: String? = nil, action: Action, status: Int? = nil, body: String? = nil,
                delay: Double? = nil, count: Int = 1, name: String? = nil) {
        self.request = request
        self.method = method
        self.action = action
        self.status = status
        self.body = body
        self.delay = delay
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
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        body = try c.decodeIfPresent(String.self, forKey: .body)
        delay = try c.decodeIfPresent(Double.self, forKey: .delay)
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
        name = try c.decodeIfPresent(String.self, forKey: .name)
        if let a = try c.decodeIfPresent(Action.self, forKey: .action) {
            action = a
        } else if status != nil {
            action = .status
        } else if delay != nil {
            action = .delay
        } else {
            throw DecodingError.dataCorruptedError(forKey: .action, in: c,
                debugDescription: "a fault needs action (status, delay or drop), or a status or delay")
        }
    }

    enum CodingKeys: String, CodingKey { case request, path, method, action, status, body, delay, count, name }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(request, forKey: .request)
        try c.encodeIfPresent(method, forKey: .method)
        try c.encode(action, forKey: .action)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(body, forKey: .body)
        try c.encodeIfPresent(delay, forKey: .delay)
        try c.encode(count, forKey: .count)
        try c.encodeIfPresent(name, forKey: .name)
    }

    /// Why the rule cannot be used, if it cannot.
    public var problem: String? {
        switch action {
        case .status:
            // 1xx are not final answers: a client would wait for the real one.
            if status == nil || !(200...599).contains(status!) { return "a status fault needs status 200-599" }
        case .delay:
            guard let delay else { return "a delay fault needs delay in seconds (\(Limits.delay.rangeText))" }
            if let problem = Limits.delay.problem(delay, "delay") { return problem }
        case .drop: break
        }
        return Limits.count.problem(count, "count (0 = every matching request)")
    }

    /// A short description for the journal.
    public var label: String {
        if let name { return name }
        switch action {
        case .status: return "status \(status ?? 0) on \(request)"
        case .delay: return "delay \(delay ?? 0)s on \(request)"
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
