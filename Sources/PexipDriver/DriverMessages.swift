import Foundation
import PexipClient
import PexipWire

/// A line from the runner (client driver protocol v1), kept as JSON so that
/// unknown types and fields pass through untouched.
struct DriverInput: Sendable {
    let json: JSONValue
    var type: String { json["type"]?.stringValue ?? "" }
    func string(_ key: String) -> String? { json[key]?.stringValue }
}

/// Writes protocol messages to stdout, one JSON object per line, in order.
final class Reporter: @unchecked Sendable {
    private let lock = NSLock()
    private let outgoing: @Sendable (JSONValue) -> [String]

    init(outgoing: @escaping @Sendable (JSONValue) -> [String]) { self.outgoing = outgoing }

    func send(_ type: String, _ fields: [String: JSONValue] = [:]) {
        var object = fields
        object["type"] = .string(type)
        let lines = outgoing(.object(object))
        lock.withLock { for line in lines { FileHandle.standardOutput.write(Data((line + "\n").utf8)) } }
    }

    func failed(_ reason: String, _ detail: String) {
        send("failed", ["reason": .string(reason), "detail": .string(detail)])
    }
}

/// Logs to stderr (the runner keeps it for the report).
public func log(_ text: String) {
    FileHandle.standardError.write(Data("pexip-client: \(text)\n".utf8))
}

extension PexipClientError {
    /// The driver protocol's `failed.reason` for this error.
    var driverReason: String {
        switch self {
        case .notFound: return "not_found"
        case .invalidPIN: return "invalid_pin"
        case .pinRequired, .extensionRequired, .ssoRequired, .forbidden, .proxyAuthenticationRequired, .disconnected: return "forbidden"
        case .unreachable, .cancelled: return "unreachable"
        case .protocolError: return "protocol"
        }
    }
}

/// Lines from stdin, read on their own thread (stdin blocks); human mode reads them too.
public func stdinLines() -> AsyncStream<String> {
    AsyncStream { continuation in
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.name = "stdin"
        thread.start()
    }
}

/// Runner messages waiting to be taken, by type. End of input counts as `leave`.
actor Mailbox {
    private var queue: [DriverInput] = []
    private var closed = false
    private var waiters: [(types: Set<String>, continuation: CheckedContinuation<DriverInput?, Never>)] = []

    func put(_ message: DriverInput) {
        if let i = waiters.firstIndex(where: { $0.types.contains(message.type) }) {
            waiters.remove(at: i).continuation.resume(returning: message)
        } else {
            queue.append(message)
        }
    }

    func close() {
        closed = true
        put(DriverInput(json: ["type": "leave"]))
        for w in waiters { w.continuation.resume(returning: nil) }
        waiters = []
    }

    /// The next message of one of `types` (in arrival order), or nil once input has ended.
    func take(_ types: Set<String>) async -> DriverInput? {
        if let i = queue.firstIndex(where: { types.contains($0.type) }) { return queue.remove(at: i) }
        if closed { return nil }
        return await withCheckedContinuation { waiters.append((types, $0)) }
    }
}
