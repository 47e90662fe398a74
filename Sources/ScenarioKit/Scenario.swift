import MockNode
import PexipWire

/// One conformance case, as read from `Scenarios/<group>/<name>.yaml`: the
/// node's conferences, what the client is told, a timeline of node actions,
/// and the checks that judge the run.
public struct Scenario: Sendable {
    /// The path under `Scenarios/` without `.yaml`, e.g. `expiry/refresh-before-expiry`: stable, used to select it.
    public var name: String
    /// The file it was read from.
    public var file: String
    /// One line on what it proves.
    public var summary: String
    /// Client features it needs (`Feature.all`); clients without them skip it.
    public var features: [String]
    public var conferences: [ConferenceConfig]
    public var node: NodeSetup
    public var client: ClientSetup
    public var timeline: [TimelineStep]
    public var checks: [CheckSpec]
    /// Seconds after which the runner tells the client to leave.
    public var deadline: Double
    /// SHA-256 (hex) of the scenario file, for reports: the same name with another hash is another scenario.
    public var contentHash = ""

    /// The folder it lives in (`expiry` for `expiry/refresh-before-expiry`).
    public var group: String { name.split(separator: "/").dropLast().joined(separator: "/") }

    public init(name: String, file: String = "", summary: String, features: [String] = [],
                conferences: [ConferenceConfig], node: NodeSetup = NodeSetup(), client: ClientSetup,
                timeline: [TimelineStep] = [], checks: [CheckSpec], deadline: Double = Scenario.defaultDeadline) {
        self.name = name
        self.file = file
        self.summary = summary
        self.features = features
        self.conferences = conferences
        self.node = node
        self.client = client
        self.timeline = timeline
        self.checks = checks
        self.deadline = deadline
    }

    /// The deadline when a scenario names none.
    public static let defaultDeadline = 8.0
    /// A deadline's accepted range: 0.1 s to a day.
    package static let deadlineLimit = Limit(0.1...Limits.scenarioTime.range.upperBound)
}

/// The feature names of the driver protocol; a client declares those it has.
public enum Feature {
    public static let all = ["pin", "guest_pin", "virtual_reception", "chat", "roster", "srv_discovery", "tls", "proxy_auth", "refer", "sso", "breakout"]
}

/// How the scenario's node is set up beyond its conferences.
public struct NodeSetup: Sendable, Equatable {
    /// The node sits behind a proxy demanding these Basic credentials.
    public var proxyAuth: ProxyAuth?
    /// The node speaks HTTPS with a self-signed certificate; the client gets it as `tls_ca`.
    public var tls = false
    /// The client finds the node through DNS SRV (`_pexapp._tcp.<domain>`) on a DNS server the runner starts.
    public var dns: DNSSetup?

    public init(proxyAuth: ProxyAuth? = nil, tls: Bool = false, dns: DNSSetup? = nil) {
        self.proxyAuth = proxyAuth
        self.tls = tls
        self.dns = dns
    }
}

/// SRV discovery: the client is given `alias@domain` and a DNS server instead of the node's URL.
public struct DNSSetup: Sendable, Equatable {
    public var domain: String
    /// A better (lower) priority SRV record points at a port where nothing listens, so the client must fail over.
    public var unreachableFirst: Bool

    public init(domain: String = "example.test", unreachableFirst: Bool = false) {
        self.domain = domain
        self.unreachableFirst = unreachableFirst
    }
}

/// What the client is told: the `start` message's fields and its answers to prompts.
public struct ClientSetup: Sendable, Equatable {
    /// The alias to dial.
    public var conference: String
    public var displayName: String
    /// A PIN given up front in `start`.
    public var pin: String?
    /// An extension given up front in `start`.
    public var conferenceExtension: String?
    /// The answer to a `pin_required` prompt (none: the runner tells the client to leave).
    public var pinAnswer: String?
    /// The answer to an `extension_required` prompt.
    public var extensionAnswer: String?
    /// The identity provider (uuid or name) to choose at an `sso_required` prompt, and to sign in at.
    public var ssoIDPAnswer: String?
    /// An `sso_token` to give at the redirect instead of signing in (e.g. a wrong one).
    public var ssoTokenAnswer: String?
    /// Whether `start` carries the node's proxy credentials (when it has any).
    public var sendProxyAuth = true

    public init(conference: String, displayName: String = "Conformance", pin: String? = nil,
                conferenceExtension: String? = nil, pinAnswer: String? = nil, extensionAnswer: String? = nil) {
        self.conference = conference
        self.displayName = displayName
        self.pin = pin
        self.conferenceExtension = conferenceExtension
        self.pinAnswer = pinAnswer
        self.extensionAnswer = extensionAnswer
    }

    /// Prompt answers by prompt kind (`pin`, `extension`, `sso_idp`, `sso_token`), as the driver session takes them.
    public var answers: [String: String] {
        var a: [String: String] = [:]
        a["pin"] = pinAnswer
        a["extension"] = extensionAnswer
        a["sso_idp"] = ssoIDPAnswer
        a["sso_token"] = ssoTokenAnswer
        return a
    }
}

extension Scenario {
    /// A rough guess at how long a run takes, for running the long ones first: the latest
    /// timeline step, taking a refresh as half the client's token lifetime (at most the deadline).
    public var expectedSeconds: Double {
        let lifetime = Double(conferences.first { $0.alias.lowercased() == client.conference.lowercased() }?.expires
                              ?? conferences.first?.expires ?? 120)
        let latest = timeline.map { step -> Double in
            switch step.trigger {
            case .at(let s): return s + step.delay
            case .refresh(let n): return Double(n) * lifetime / 2 + step.delay
            default: return step.delay
            }
        }.max() ?? 0
        return min(deadline, latest)
    }
}
