import Foundation
import MicroHTTP
@testable import MockNode
import PexipWire
import ScenarioKit

/// What a fuzz input is fed to. Each harness must never crash, and checks a
/// property that holds for every input (a failed `precondition` is a finding).
enum Harness: String, CaseIterable {
    /// JSON parser: whatever it accepts, writing it out and parsing that gives the same value.
    case json
    /// SSE parser: the events do not depend on how the bytes were split into chunks.
    case sse
    /// The node's request path: the input is an HTTP request (first line, headers,
    /// blank line, body) handed to a node as libmicrohttpd would hand it.
    case request
    /// The scenario loader: errors, never a crash; what loads, re-validates.
    case scenario
    /// The conference file loader.
    case conference

    func run(_ bytes: [UInt8]) {
        switch self {
        case .json: Self.json(bytes)
        case .sse: Self.sse(bytes)
        case .request: Self.request(bytes)
        case .scenario: Self.scenario(bytes)
        case .conference: Self.conference(bytes)
        }
    }

    static func json(_ bytes: [UInt8]) {
        guard let value = JSONValue.parse(bytes) else { return }
        let again = JSONValue.parse(value.jsonText)
        precondition(again == value, "JSON round trip changed \(value.jsonText.prefix(200))")
    }

    static func sse(_ bytes: [UInt8]) {
        var whole = SSEParser()
        let expected = whole.feed(bytes)
        // Split at a point the input itself chooses (its first byte), and byte by byte.
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var split = SSEParser()
        let twoParts = split.feed(bytes[..<cut]) + split.feed(bytes[cut...])
        precondition(twoParts == expected, "SSE events depend on the chunking (cut at \(cut))")
        if bytes.count <= 512 {
            var single = SSEParser()
            var one: [SSEEvent] = []
            for b in bytes { one += single.feed([b]) }
            precondition(one == expected, "SSE events differ when fed a byte at a time")
        }
    }

    /// One node for the whole run, reset now and then so that memory stays bounded.
    nonisolated(unsafe) static var node: MockNode?
    nonisolated(unsafe) static var served = 0

    static func request(_ bytes: [UInt8]) {
        if node == nil || served % 500 == 0 {
            node?.reset()
            if node == nil {
                var config = MockNode.Configuration(conferences: ConferenceConfig.builtins)
                config.clock = ManualClock()
                config.journalLimit = 1_000
                node = try? MockNode(config)
            }
        }
        served += 1
        guard let node, let request = parseRequest(bytes) else { return }
        _ = node.handle(request)
    }

    /// `METHOD TARGET\nName: value\n…\n\nbody`, with the target's query decoded as
    /// libmicrohttpd does (split on `&` and `=`); nil when there is no first line.
    static func parseRequest(_ bytes: [UInt8]) -> HTTPRequest? {
        let text = String(decoding: bytes, as: UTF8.self)
        let (head, body): (Substring, Substring) = {
            if let r = text.range(of: "\n\n") { return (text[..<r.lowerBound], text[r.upperBound...]) }
            return (text[...], "")
        }()
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let first = lines.removeFirst().split(separator: " ", maxSplits: 1)
        guard first.count == 2 else { return nil }
        let target = first[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query: [(name: String, value: String)] = path.count > 1
            ? path[1].split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            } : []
        let headers: [(name: String, value: String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPRequest(method: String(first[0]), path: String(path[0]), query: query,
                           headers: HTTPHeaders(headers), body: Array(body.utf8), remoteAddress: "127.0.0.1:1")
    }

    static func scenario(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        guard let s = try? ScenarioLoader.load(text: text, name: "fuzz/case") else { return }
        precondition(!s.summary.isEmpty && !s.conferences.isEmpty, "a scenario loaded without summary or conferences")
        for c in s.conferences { precondition(c.problems().isEmpty, "a loaded conference has problems: \(c.problems())") }
    }

    static func conference(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        guard let confs = try? ConferenceFile.load(text: text, file: "fuzz.yaml") else { return }
        for c in confs { precondition(c.problems().isEmpty, "a loaded conference has problems: \(c.problems())") }
        // What loads must also make a node.
        precondition((try? MockNode(conferences: confs)) != nil, "conferences that load do not make a node")
    }
}
