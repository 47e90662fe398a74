import Foundation
import PexipWire

/// What turns an event stream's bytes into events. The W3C parser (`SSEParser`) is the
/// only one a session uses; the hook is the package's, for the conformance suite's broken
/// client, which swaps in parsers with the bugs its stream scenarios must catch.
package protocol EventStreamParsing: Sendable {
    /// Events the bytes complete, in order; throws when the parser rejects the stream.
    mutating func feed(_ bytes: Data) throws -> [SSEEvent]
    /// The stream ended: events it still dispatches (the W3C rules: none).
    mutating func end() -> [SSEEvent]
}

extension SSEParser: EventStreamParsing {
    package mutating func feed(_ bytes: Data) throws -> [SSEEvent] { feed(IteratorSequence(bytes.makeIterator())) }

    package mutating func end() -> [SSEEvent] {
        finish()
        return []
    }
}
