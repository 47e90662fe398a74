import Foundation
import PexipWire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// JSON requests to one node over URLSession.
struct HTTPTransport: Sendable {
    let base: URL
    let credentials: BasicCredentials?
    let timeout: Double
    let session: URLSession

    init(base: URL, credentials: BasicCredentials?, timeout: Double) {
        self.base = base
        self.credentials = credentials
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.httpCookieStorage = nil
        config.urlCache = nil
        session = URLSession(configuration: config, delegate: NoChallenges.shared, delegateQueue: nil)
    }

    /// The URL of a request under `/api/client/v2/conferences/<alias>/`.
    func url(_ alias: String, _ request: String) -> URL {
        URL(string: APIPath.conference(alias, request), relativeTo: base)!.absoluteURL
    }

    func request(_ url: URL, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) -> URLRequest {
        var r = URLRequest(url: url, timeoutInterval: timeout)
        r.httpMethod = method
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        if let credentials { r.setValue(credentials.headerValue, forHTTPHeaderField: "Authorization") }
        if let body {
            r.httpBody = body
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return r
    }

    /// Sends a request; transport failures become `.unreachable`.
    ///
    /// Deliberately not `URLSession.data(for:)`: on Linux, cancelling a task
    /// that awaits it can deadlock inside FoundationNetworking (its
    /// cancellation handler waits on the session's queue while that queue
    /// waits to resume the task). A request here always runs to its end,
    /// bounded by the request timeout; callers decide what to do with a
    /// late answer.
    func send(_ request: URLRequest) async throws -> (status: Int, body: Data) {
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

    /// POST with a token header and an optional JSON body.
    func post(_ alias: String, _ request: String, token: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        try await send(self.request(url(alias, request), method: "POST", headers: ["token": token], body: body))
    }
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
