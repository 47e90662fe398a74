import Foundation
import MicroHTTP
import PexipWire

/// Reads a node's event stream with the W3C parser: one event at a time, up
/// to a named one, or as an async sequence.
public final class EventReader: @unchecked Sendable {
    // One reader is read from one place at a time (a test's thread, or the task of `stream`).
    public let client: LoopbackClient
    public let status: Int
    public let headers: HTTPHeaders
    private var parser = SSEParser()
    private var queued: [SSEEvent] = []
    /// How the stream ended, once it has.
    public private(set) var ending: ChunkRead?
    /// Every byte read so far, as text.
    public private(set) var rawText = ""

    public init(client: LoopbackClient, status: Int, headers: HTTPHeaders) {
        self.client = client
        self.status = status
        self.headers = headers
    }

    /// Comments (keep-alives) seen so far.
    public var commentCount: Int { parser.commentCount }

    /// The next event, or nil if the stream ended.
    public func next() throws -> SSEEvent? {
        while queued.isEmpty {
            guard ending == nil else { return nil }
            let chunk = try client.readChunk()
            switch chunk {
            case .data(let bytes):
                rawText += String(decoding: bytes, as: UTF8.self)
                queued += parser.feed(bytes)
            case .end, .cut, .reset:
                parser.finish()
                ending = chunk
            }
        }
        return queued.removeFirst()
    }

    /// Events up to and including the first named `name`; throws if the stream ends first.
    public func read(until name: String) throws -> [SSEEvent] {
        var out: [SSEEvent] = []
        while let e = try next() {
            out.append(e)
            if e.event == name { return out }
        }
        throw TestNodeError("stream ended before \(name); got \(out.map(\.event))")
    }

    /// Reads until the stream ends; returns the remaining events.
    public func drain() throws -> [SSEEvent] {
        var out: [SSEEvent] = []
        while let e = try next() { out.append(e) }
        return out
    }

    /// Reads one more raw chunk (for keep-alives).
    public func nextChunk() throws -> ChunkRead {
        let c = try client.readChunk()
        if case .data(let bytes) = c {
            rawText += String(decoding: bytes, as: UTF8.self)
            queued += parser.feed(bytes)
        }
        return c
    }

    /// The events as an async sequence, read on a thread of their own; it finishes when the
    /// stream ends and throws if reading fails (a read timeout included).
    public var stream: AsyncThrowingStream<SSEEvent, Error> {
        AsyncThrowingStream { continuation in
            let thread = Thread { [self] in
                do {
                    while let e = try next() { continuation.yield(e) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.start()
        }
    }
}
