/// A complete response: status, header fields and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `text` in UTF-8 with the given content type.
    public init(status: Int, contentType: String, text: String, headers: HTTPHeaders = HTTPHeaders()) {
        var h = headers
        h.set("Content-Type", contentType)
        self.init(status: status, headers: h, body: Array(text.utf8))
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What a request handler decides to do with a request.
public enum HTTPResult: Sendable {
    /// Answer now.
    case response(HTTPResponse)
    /// Answer with a server-sent-event stream that other threads push to.
    /// `headers` are added to the stream's response (Content-Type is set for you).
    case stream(EventStream, headers: HTTPHeaders)
    /// Close the connection without answering (a fault, as a broken peer sees it).
    case drop
    /// Answer later, from any thread, by fulfilling the deferred response.
    /// The connection is suspended meanwhile and costs no CPU.
    case deferred(DeferredResponse)
}

/// A request handler. Called on a libmicrohttpd thread; must not block for long.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResult
