import Foundation
import PexipWire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The default transport: Foundation's URLSession (FoundationNetworking on
/// Linux), so the same code serves an iOS or macOS app.
public final class URLSessionTransport: PexipTransport {
    /// One session for the process: invalidating sessions while requests
    /// finish crashed FoundationNetworking on Linux, so none is ever invalidated.
    private static let shared: URLSession = {
        let config = URLSessionConfiguration.ephemeral
        config.httpCookieStorage = nil
        config.urlCache = nil
        return URLSession(configuration: config, delegate: NoChallenges.shared, delegateQueue: nil)
    }()

    let session: URLSession
    private let makeParser: @Sendable () -> any EventStreamParsing

    public init() {
        session = URLSessionTransport.shared
        makeParser = { SSEParser() }
    }

    /// A transport whose event streams are parsed by `parser` (the broken client's faulty ones).
    package init(parser: @escaping @Sendable () -> any EventStreamParsing) {
        session = URLSessionTransport.shared
        makeParser = parser
    }

    /// Sends a request; transport failures become `.unreachable`.
    ///
    /// Deliberately not `URLSession.data(for:)`: on Linux, cancelling a task
    /// that awaits it can deadlock inside FoundationNetworking (its
    /// cancellation handler waits on the session's queue while that queue
    /// waits to resume the task). A request here always runs to its end,
    /// bounded by the request timeout; callers decide what to do with a
    /// late answer.
    public func send(_ exchange: HTTPExchange, timeout: Double) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: exchange.url, timeoutInterval: timeout)
        request.httpMethod = exchange.method
        for (k, v) in exchange.headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = exchange.body
        let session = self.session
        return try await withCheckedThrowingContinuation { continuation in
            let box = TaskBox()
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    if let task = box.task, NoChallenges.shared.wasChallenged(task) {
                        continuation.resume(throwing: PexipClientError.proxyAuthenticationRequired)
                        return
                    }
                    continuation.resume(throwing: PexipClientError.unreachable(error.localizedDescription))
                } else if let http = response as? HTTPURLResponse {
                    continuation.resume(returning: (http.statusCode, data ?? Data()))
                } else {
                    continuation.resume(throwing: PexipClientError.protocolError("not an HTTP response"))
                }
            }
            box.task = task
            task.resume()
        }
    }

    public func openStream(_ exchange: HTTPExchange, idleTimeout: Double) -> any EventStreamConnection {
        var request = URLRequest(url: exchange.url)
        request.httpMethod = exchange.method
        for (k, v) in exchange.headers { request.setValue(v, forHTTPHeaderField: k) }
        let connection = EventSourceConnection(request: request, idleTimeout: idleTimeout, parser: makeParser())
        connection.start()
        return connection
    }

    /// Nothing to release: the URLSession is shared by the process.
    public func shutdown() async {}
}

/// Credentials go in our own `Authorization` header; an HTTP authentication
/// challenge (401/407 with `WWW-Authenticate`) is declined so that the
/// answer reaches the caller as a status. (Left to URLSession on Linux, such
/// a challenge never completed the task.)
final class NoChallenges: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    static let shared = NoChallenges()
    private let lock = NSLock()
    private var challenged: Set<ObjectIdentifier> = []

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        lock.withLock { _ = challenged.insert(ObjectIdentifier(task)) }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    /// Whether `task` ended because its challenge was declined (asked once).
    func wasChallenged(_ task: URLSessionTask) -> Bool {
        lock.withLock { challenged.remove(ObjectIdentifier(task)) != nil }
    }
}

/// Lets a completion handler see the task it belongs to.
final class TaskBox: @unchecked Sendable {
    var task: URLSessionTask?
}

extension Data {
    /// The envelope's `result` decoded as `T`, or nil.
    func result<T: Decodable & Sendable>(_ type: T.Type) -> T? {
        (try? JSONDecoder().decode(Envelope<AnyResult<T>>.self, from: self))?.result.value
    }
}

/// Decodes `result` leniently: a type mismatch gives nil instead of failing the envelope.
struct AnyResult<T: Decodable & Sendable>: Codable, Sendable {
    let value: T?
    init(from decoder: Decoder) throws { value = try? decoder.singleValueContainer().decode(T.self) }
    func encode(to encoder: Encoder) throws {}
}
