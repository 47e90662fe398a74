import Foundation

// The payload of each kind of journal entry. Every field is optional because
// the wire JSON leaves out what a kind does not carry or has not set.
extension JournalEntry {
    /// A client API request and the node's answer.
    public struct Request: Sendable, Equatable {
        public var method: String?
        public var path: String?
        public var query: [Field]?
        public var headers: [Field]?
        public var body: String?
        public var status: Int?
        public var response: String?
        public var remote: String?
        /// The fault rule that shaped the answer, if any.
        public var fault: String?
        /// Real seconds since the node started when the request arrived, for a request whose answer a fault delayed (`wall` is when it was handled).
        public var received: Double?
        public var alias: String?
        public var participant: String?
        public var stream: Int?
        public var detail: String?

        public init(method: String? = nil, path: String? = nil, query: [Field]? = nil, headers: [Field]? = nil, body: String? = nil, status: Int? = nil, response: String? = nil, remote: String? = nil, fault: String? = nil, received: Double? = nil, alias: String? = nil, participant: String? = nil, stream: Int? = nil, detail: String? = nil) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
            self.status = status
            self.response = response
            self.remote = remote
            self.fault = fault
            self.received = received
            self.alias = alias
            self.participant = participant
            self.stream = stream
            self.detail = detail
        }
    }

    /// An event written (or not, see `delivered`) to a participant's stream.
    public struct Event: Sendable, Equatable {
        public var participant: String?
        public var stream: Int?
        public var event: String?
        public var id: String?
        public var data: String?
        /// False when the participant had no open stream, or its stream was stalled or closing.
        public var delivered: Bool?

        public init(participant: String? = nil, stream: Int? = nil, event: String? = nil, id: String? = nil, data: String? = nil, delivered: Bool? = nil) {
            self.participant = participant
            self.stream = stream
            self.event = event
            self.id = id
            self.data = data
            self.delivered = delivered
        }
    }

    /// An event stream opened.
    public struct StreamOpen: Sendable, Equatable {
        public var alias: String?
        public var participant: String?
        public var stream: Int?

        public init(alias: String? = nil, participant: String? = nil, stream: Int? = nil) {
            self.alias = alias
            self.participant = participant
            self.stream = stream
        }
    }

    /// An event stream ended (`reason`: clean, error, peer).
    public struct StreamClose: Sendable, Equatable {
        public var participant: String?
        public var stream: Int?
        public var reason: String?

        public init(participant: String? = nil, stream: Int? = nil, reason: String? = nil) {
            self.participant = participant
            self.stream = stream
            self.reason = reason
        }
    }

    /// Something the node did on its own or was told to do (`action` names it: eject, token_expired, add_fault, …).
    public struct Action: Sendable, Equatable {
        public var alias: String?
        public var participant: String?
        /// The action's name; a note's label.
        public var action: String?
        public var detail: String?

        public init(alias: String? = nil, participant: String? = nil, action: String? = nil, detail: String? = nil) {
            self.alias = alias
            self.participant = participant
            self.action = action
            self.detail = detail
        }
    }

    /// A remark from whoever drives the node (`action` = label, `data` = JSON text): the conformance runner records what the client reported and what it was told, so that one ordered record holds the wire and the driver protocol.
    public struct Note: Sendable, Equatable {
        public var data: String?
        /// The action's name; a note's label.
        public var action: String?

        public init(data: String? = nil, action: String? = nil) {
            self.data = data
            self.action = action
        }
    }
}
