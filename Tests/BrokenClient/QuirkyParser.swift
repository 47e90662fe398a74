import Foundation
import PexipClient
import PexipWire

/// Event-stream parsers with the bugs of real ones, for the stream scenarios; and, with
/// `--like swift`, the way Pexip's Swift SDK splits a stream (its HTTPEventSourceParser).
struct QuirkyParser: EventStreamParsing {
    struct Quirks: Sendable {
        /// At the end of the stream, the event being built is dispatched (the W3C rules discard it).
        var keepPartialEvent = false
        /// Each read is split into lines on its own: a line cut by the end of a read counts as whole.
        var wholeLinesPerRead = false
        /// A comment then a blank line dispatch an empty `message` event, as httpx-sse 0.4.3
        /// does, which the client then fails to parse as JSON: the stream is given up.
        var emptyEventOnComment = false
        /// A comment line must be followed by a blank line, or the stream is given up.
        var bareCommentFatal = false
        /// Only LF ends a line: a CR stays in the line (so `event: x` CR LF names the event "x\r").
        var lfOnly = false
        /// Pexip's Swift SDK: split at blank lines; a block that begins with a comment is dropped,
        /// whatever follows the comment in it.
        var blocks = false

        var any: Bool { keepPartialEvent || wholeLinesPerRead || emptyEventOnComment || bareCommentFatal || lfOnly || blocks }
    }

    struct Rejected: Error, CustomStringConvertible {
        let description: String
    }

    let quirks: Quirks
    private var inner = SSEParser()
    /// Bytes of the line being read (for the quirks that look at lines), and of the block (`blocks`).
    private var line: [UInt8] = []
    private var block: [UInt8] = []
    private var afterComment = false
    private var sawData = false

    init(_ quirks: Quirks) { self.quirks = quirks }

    mutating func feed(_ bytes: Data) throws -> [SSEEvent] {
        if quirks.blocks { return feedBlocks(bytes) }
        for byte in bytes { try look(byte) }
        // A CR kept as a character (DEL stands in for it: the W3C parser underneath would end the line at a CR).
        var events = inner.feed(quirks.lfOnly ? bytes.map { $0 == 13 ? 0x7F : $0 } : Array(bytes))
        if quirks.wholeLinesPerRead, bytes.last != 10 {
            events += inner.feed([10])
            try look(10)
        }
        return events
    }

    mutating func end() -> [SSEEvent] {
        defer { inner.finish(); block = []; line = [] }
        guard quirks.keepPartialEvent else { return [] }
        return inner.feed([10, 10])
    }

    /// Follows lines to catch the comment quirks.
    private mutating func look(_ byte: UInt8) throws {
        guard byte == 10 else {
            line.append(byte)
            return
        }
        defer { line = [] }
        if line.first == UInt8(ascii: ":") {
            afterComment = true
            return
        }
        if line.isEmpty {
            if afterComment && !sawData && quirks.emptyEventOnComment {
                // As httpx-sse 0.4.3: the comment's block is an event with no data.
                throw Rejected(description: "event 'message' has empty data, which is not JSON")
            }
            afterComment = false
            sawData = false
            return
        }
        if afterComment && quirks.bareCommentFatal {
            throw Rejected(description: "expected a blank line after a comment, got '\(String(decoding: line, as: UTF8.self))'")
        }
        afterComment = false
        if line.starts(with: Array("data".utf8)) { sawData = true }
    }

    private mutating func feedBlocks(_ bytes: Data) -> [SSEEvent] {
        block.append(contentsOf: bytes)
        var events: [SSEEvent] = []
        // As the Swift SDK: the first delimiter of CR CR, LF LF, CR LF CR LF (in that order of
        // preference) found anywhere in what is buffered ends a block.
        while let end = Self.delimiters.compactMap({ Self.find($0, in: block) }).first {
            let one = Array(block[..<end])
            block.removeFirst(end)
            if one.first == UInt8(ascii: ":") { continue }
            var parser = SSEParser()
            events += parser.feed(one + [10, 10])
        }
        return events
    }

    private static let delimiters: [[UInt8]] = [[13, 13], [10, 10], [13, 10, 13, 10]]

    /// The end index of the first `delimiter` in the block buffer.
    private static func find(_ delimiter: [UInt8], in block: [UInt8]) -> Int? {
        guard block.count >= delimiter.count else { return nil }
        for i in 0...(block.count - delimiter.count) where block[i] == delimiter[0] {
            if Array(block[i..<(i + delimiter.count)]) == delimiter { return i + delimiter.count }
        }
        return nil
    }
}
