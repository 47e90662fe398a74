import Foundation
import PexipWire

/// One HTTP request as the client makes it, independent of the HTTP stack.
public struct HTTPExchange: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What an event-stream connection yields.
public enum EventStreamItem: Sendable, Equatable {
    /// The node answered 200: events follow.
    case opened
    case event(SSEEvent)
}

/// How an event-stream connection ended (thrown by its `items`).
public enum EventStreamEnd: Error, Equatable, Sendable {
    /// The node answered with this status instead of a stream.
    case status(Int)
    /// The node ended the response normally (a live stream never should).
    case endedCleanly
    /// No byte for longer than the idle timeout.
    case idle
    /// A transport error.
    case failed(String)
    /// Closed on this side.
    case cancelled
}

/// One open `GET …/events`.
public protocol EventStreamConnection: Sendable {
    /// `.opened`, then events; finishes by throwing an `EventStreamEnd`
    /// (or normally after `cancel`).
    var items: AsyncThrowingStream<EventStreamItem, Error> { get }
    func cancel()
}

/// The HTTP stack under a session. The default, `URLSessionTransport`, needs
/// nothing beyond Foundation; `PexipClientNIO` offers one that can trust a
/// given CA certificate on Linux.
public protocol PexipTransport: Sendable {
    /// Sends a request and returns its status and body. Transport failures
    /// throw `PexipClientError.unreachable` (or `.proxyAuthenticationRequired`).
    func send(_ request: HTTPExchange, timeout: Double) async throws -> (status: Int, body: Data)
    /// Opens an event stream; no byte for `idleTimeout` seconds ends it with `.idle`.
    func openStream(_ request: HTTPExchange, idleTimeout: Double) -> any EventStreamConnection
    /// Releases the stack's resources once the session is over.
    func shutdown() async
}

/// Builds the client API's requests for one node and sends them through a transport.
struct NodeClient: Sendable {
    let base: URL
    let credentials: BasicCredentials?
    let timeout: Double
    let transport: any PexipTransport

    /// The URL of a request under `/api/client/v2/conferences/<alias>/`.
    func url(_ alias: String, _ request: String) -> URL {
        URL(string: APIPath.conference(alias, request), relativeTo: base)!.absoluteURL
    }

    func exchange(_ url: URL, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) -> HTTPExchange {
        var h = headers
        if let credentials { h["Authorization"] = credentials.headerValue }
        if body != nil { h["Content-Type"] = "application/json" }
        return HTTPExchange(method: method, url: url, headers: h, body: body)
    }

    func send(_ exchange: HTTPExchange) async throws -> (status: Int, body: Data) {
        try await transport.send(exchange, timeout: timeout)
    }

    /// POST with a token header and an optional JSON body.
    func post(_ alias: String, _ request: String, token: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        try await send(exchange(url(alias, request), method: "POST", headers: ["token": token], body: body))
    }

    func openEvents(_ alias: String, token: String, idleTimeout: Double) -> any EventStreamConnection {
        transport.openStream(exchange(url(alias, "events"), headers: ["token": token, "Accept": "text/event-stream",
                                                                       "Cache-Control": "no-cache"]),
                             idleTimeout: idleTimeout)
    }
}
