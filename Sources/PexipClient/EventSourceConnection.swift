import Foundation
import PexipWire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One `GET …/events` connection through a URLSession data delegate (which
/// also works on Linux), parsed with the W3C parser, with an idle watchdog.
final class EventSourceConnection: NSObject, URLSessionDataDelegate, EventStreamConnection, @unchecked Sendable {
    typealias Item = EventStreamItem

    let items: AsyncThrowingStream<Item, Error>
    private let continuation: AsyncThrowingStream<Item, Error>.Continuation
    private let lock = NSLock()
    private var parser: any EventStreamParsing
    private var lastByte = Date()
    private var finished = false
    private var session: URLSession?
    private var task: URLSessionDataTask?
    private var watchdog: Task<Void, Never>?
    private let idleTimeout: Double

    init(request: URLRequest, idleTimeout: Double, parser: any EventStreamParsing = SSEParser()) {
        (items, continuation) = AsyncThrowingStream.makeStream(of: Item.self)
        self.idleTimeout = idleTimeout
        self.parser = parser
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = max(idleTimeout * 4, 3600)
        config.timeoutIntervalForResource = 7 * 24 * 3600
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
        var r = request
        r.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        r.setValue("no-cache", forHTTPHeaderField: "Cache-Control")
        r.timeoutInterval = config.timeoutIntervalForRequest
        lock.withLock {
            self.session = session
            self.task = session.dataTask(with: r)
        }
        continuation.onTermination = { [weak self] _ in self?.cancel() }
    }

    func start() {
        lock.withLock { lastByte = Date() }
        task?.resume()
        let timeout = idleTimeout
        watchdog = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(max(0.05, timeout / 4) * 1e9))
                guard let self else { return }
                let idle = self.lock.withLock { Date().timeIntervalSince(self.lastByte) }
                if idle > timeout {
                    self.finish(.idle)
                    return
                }
            }
        }
    }

    /// Closes the connection (idempotent).
    func cancel() { finish(.cancelled) }

    /// `taskDone`: the task has completed, so it must not be cancelled (cancelling a
    /// finished task can crash FoundationNetworking: "task that is not in the registry").
    private func finish(_ end: EventStreamEnd?, taskDone: Bool = false) {
        let (task, session, watchdog, tail): (URLSessionDataTask?, URLSession?, Task<Void, Never>?, [SSEEvent]) = lock.withLock {
            guard !finished else { return (nil, nil, nil, []) }
            finished = true
            let tail = parser.end()
            defer { self.task = nil; self.session = nil; self.watchdog = nil }
            return (self.task, self.session, self.watchdog, tail)
        }
        guard task != nil || session != nil else { return }
        for e in tail { continuation.yield(.event(e)) }
        if let end, end != .cancelled { continuation.finish(throwing: end) } else { continuation.finish() }
        watchdog?.cancel()
        // URLSession's cancel waits on its own queue; done inline it can deadlock
        // when finish runs in a task-cancellation handler or a delegate callback.
        DispatchQueue.global().async {
            if !taskDone, let task, task.state != .completed { task.cancel() }
            session?.finishTasksAndInvalidate()  // not invalidateAndCancel: it cancels finished tasks too
        }
    }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            completionHandler(.cancel)
            finish(.status(status))
            return
        }
        lock.withLock { lastByte = Date() }
        continuation.yield(.opened)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
        finish(.status(401))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let parsed: Result<[SSEEvent], Error> = lock.withLock {
            guard !finished else { return .success([]) }
            lastByte = Date()
            return Result { try parser.feed(data) }
        }
        switch parsed {
        case .success(let events): for e in events { continuation.yield(.event(e)) }
        case .failure(let error): finish(.failed("\(error)"))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error {
            finish((error as? URLError)?.code == .cancelled ? .cancelled : .failed(error.localizedDescription), taskDone: true)
        } else {
            finish(.endedCleanly, taskDone: true)
        }
    }
}
