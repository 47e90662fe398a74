import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PexipClient
import PexipWire

/// A `PexipTransport` over AsyncHTTPClient (SwiftNIO), for what URLSession
/// cannot do on Linux: trust a given CA certificate, e.g. the self-signed
/// one of a test node serving HTTPS.
///
/// ```swift
/// var options = JoinOptions(displayName: "Alice")
/// options.transport = try NIOTransport(trustedCAPEM: pem)
/// ```
/// Call `shutdown()` when done (sessions do not shut down a transport they were given).
public final class NIOTransport: PexipTransport {
    let client: HTTPClient

    /// A transport trusting the system's roots, or only `trustedCAPEM` (one
    /// or more PEM certificates) when given.
    public init(trustedCAPEM: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = trustedCAPEM {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw PexipClientError.protocolError("the CA certificate is not PEM: \(error)")
            }
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.decompression = .disabled
        // Fail at once when a connection cannot be made (refused, untrusted certificate): the
        // session has its own retry policy, and AsyncHTTPClient's would hold every such
        // failure until the connect timeout (10 s).
        config.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    func request(_ exchange: HTTPExchange) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: exchange.url.absoluteString)
        r.method = HTTPMethod(rawValue: exchange.method)
        for (name, value) in exchange.headers { r.headers.replaceOrAdd(name: name, value: value) }
        if let body = exchange.body { r.body = .bytes(ByteBuffer(bytes: body)) }
        return r
    }

    public func send(_ exchange: HTTPExchange, timeout: Double) async throws -> (status: Int, body: Data) {
        do {
            let response = try await client.execute(request(exchange), timeout: .milliseconds(Int64(timeout * 1000)))
            let body = try await response.body.collect(upTo: 8 << 20)
            let status = Int(response.status.code)
            if status == 407 { throw PexipClientError.proxyAuthenticationRequired }
            return (status, Data(body.readableBytesView))
        } catch let error as PexipClientError {
            throw error
        } catch {
            throw PexipClientError.unreachable("\(error)")
        }
    }

    public func openStream(_ exchange: HTTPExchange, idleTimeout: Double) -> any EventStreamConnection {
        NIOEventStream(client: client, request: request(exchange), idleTimeout: idleTimeout)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// One event stream over AsyncHTTPClient: the body's chunks through the W3C
/// parser, with a watchdog that ends the stream when no byte arrives in time.
final class NIOEventStream: EventStreamConnection, @unchecked Sendable {
    let items: AsyncThrowingStream<EventStreamItem, Error>
    private let lock = NSLock()
    private var lastByte = Date()
    private var idle = false
    private var reader: Task<Void, Never>?
    private var watchdog: Task<Void, Never>?

    init(client: HTTPClient, request: HTTPClientRequest, idleTimeout: Double) {
        let (items, continuation) = AsyncThrowingStream.makeStream(of: EventStreamItem.self)
        self.items = items
        let reader = Task { [lock] in
            do {
                let response = try await client.execute(request, deadline: .distantFuture)
                guard response.status == .ok else {
                    continuation.finish(throwing: EventStreamEnd.status(Int(response.status.code)))
                    return
                }
                continuation.yield(.opened)
                var parser = SSEParser()
                for try await chunk in response.body {
                    lock.withLock { self.lastByte = Date() }
                    for event in parser.feed(Array(buffer: chunk)) { continuation.yield(.event(event)) }
                }
                continuation.finish(throwing: EventStreamEnd.endedCleanly)
            } catch {
                let wasIdle = lock.withLock { self.idle }
                continuation.finish(throwing: wasIdle ? EventStreamEnd.idle
                                    : Task.isCancelled ? EventStreamEnd.cancelled : EventStreamEnd.failed("\(error)"))
            }
        }
        let watchdog = Task { [lock] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(max(0.05, idleTimeout / 4) * 1e9))
                let quiet = lock.withLock { Date().timeIntervalSince(self.lastByte) }
                if quiet > idleTimeout {
                    lock.withLock { self.idle = true }
                    reader.cancel()
                    return
                }
            }
        }
        lock.withLock {
            self.reader = reader
            self.watchdog = watchdog
        }
        continuation.onTermination = { _ in
            reader.cancel()
            watchdog.cancel()
        }
    }

    func cancel() {
        let (r, w) = lock.withLock { (reader, watchdog) }
        r?.cancel()
        w?.cancel()
    }
}
