import Foundation
import Logging
import MicroHTTP
import MockNode
import PexipWire
import ScenarioKit

/// How one scenario ended.
public enum Outcome: String, Sendable, Codable {
    /// Every check passed.
    case passed
    /// Every must check passed, a should check failed (fails the run only with `--strict`).
    case warned
    /// A must check failed.
    case failed
    /// Run several times (`--repeat`), its verdict differed between runs.
    case flaky
    /// The client lacks a feature the scenario needs.
    case skipped
    /// Failed, and listed as known to fail.
    case knownFailing = "known_failing"
    /// Passed although listed as known to fail (trim the list).
    case unexpectedPass = "unexpected_pass"
    /// Failed or flaky, and listed as known to be flaky (`--known-flaky`): accepted either way.
    case knownFlaky = "known_flaky"
    /// The runner could not run it (node or client would not start).
    case error

    /// Whether this outcome fails the run (a warning only when `strict`).
    public func failsRun(strict: Bool = false, xpassFails: Bool = false) -> Bool {
        self == .failed || self == .error || self == .flaky || (strict && self == .warned) || (xpassFails && self == .unexpectedPass)
    }
}

/// The result of one scenario: verdicts, timings, and for a failure the
/// evidence (journal, client stderr).
public struct ScenarioResult: Sendable {
    public var name: String
    public var summary: String
    public var outcome: Outcome
    /// Why it was skipped or could not run.
    public var reason: String?
    public var checks: [CheckResult] = []
    /// Wall seconds from node start to node stop.
    public var duration: Double = 0
    public var exit: ClientExit?
    /// The run's record (kept so reports can show the journal of failures).
    public var record: RunRecord?
    public var standardError = ""
    /// With `--repeat`: each run's outcome, in order.
    public var runs: [Outcome] = []
    /// For a flaky scenario: the checks whose verdict differed between runs.
    public var flakyChecks: [String] = []
    /// SHA-256 of the scenario file.
    public var contentHash = ""

    public init(name: String, summary: String, outcome: Outcome, reason: String? = nil) {
        self.name = name
        self.summary = summary
        self.outcome = outcome
        self.reason = reason
    }

    /// Checks that failed at a level that counts (must and should).
    public var failedChecks: [CheckResult] { checks.filter(\.counts) }
    /// Must checks that failed.
    public var mustFailures: [CheckResult] { checks.filter { !$0.passed && $0.level == .must } }
    /// Should checks that failed.
    public var warnings: [CheckResult] { checks.filter { !$0.passed && $0.level == .should } }
}

/// Runs one scenario: a fresh node on an ephemeral loopback port, the client
/// command in its own process group speaking the driver protocol, the
/// timeline, the deadline (leave, grace, SIGTERM, SIGKILL), then the checks.
public struct ScenarioRunner: Sendable {
    /// The client command, run with `/bin/sh -c`.
    public var command: String
    /// Seconds between `leave` and SIGTERM, and between SIGTERM and SIGKILL.
    public var grace: Double = 2
    /// Multiplies every scenario's deadline (for slow clients).
    public var deadlineScale: Double = 1
    /// Extra environment for the client (`MOCKMCU_SCENARIO` is always set).
    public var environment: [String: String] = [:]
    /// The certificate of `tls` scenarios' nodes (made on first use when nil).
    public var tls: TLSIdentity?
    /// Serve every scenario's node over HTTPS (`mockmcu run --tls`), for clients that
    /// build `https://` URLs themselves, except discovery scenarios, whose SRV record's
    /// port decides the scheme.
    public var tlsEverywhere = false

    public init(command: String) { self.command = command }

    public func run(_ scenario: Scenario) -> ScenarioResult {
        var result = ScenarioResult(name: scenario.name, summary: scenario.summary, outcome: .error)
        result.contentHash = scenario.contentHash
        let began = Date()
        result = runScenario(scenario, into: result)
        result.duration = Date().timeIntervalSince(began)
        return result
    }

    private func runScenario(_ scenario: Scenario, into start: ScenarioResult) -> ScenarioResult {
        var result = start

        var config = MockNode.Configuration(conferences: scenario.conferences)
        config.http.host = "127.0.0.1"
        config.http.port = 0
        config.http.threads = 2
        config.proxyAuth = scenario.node.proxyAuth
        config.logger = Logger(label: "mockmcu.scenario") { _ in SwiftLogNoOpLogHandler() }
        var caPEM: String?
        if scenario.node.tls || (tlsEverywhere && scenario.node.dns == nil) {
            do {
                let identity = try tls ?? TLSIdentity.selfSigned()
                config.http.tls = identity
                caPEM = identity.certificatePEM
            } catch {
                result.reason = "could not make a TLS certificate: \(error)"
                return result
            }
        }
        let node: MockNode
        do {
            node = try MockNode(config)
            try node.start()
        } catch {
            result.reason = "the node did not start: \(error)"
            return result
        }
        defer { node.stop() }

        var dns: DNSServer?
        if let setup = scenario.node.dns {
            do {
                dns = try DNSServer(records: try dnsRecords(setup, nodePort: node.port))
            } catch {
                result.reason = "the DNS server did not start: \(error)"
                return result
            }
        }
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["MOCKMCU_SCENARIO"] = scenario.name
        let client: ClientProcess
        do {
            client = try ClientProcess(command: command, environment: env)
        } catch {
            result.reason = "the client did not start: \(error)"
            return result
        }
        let session = DriverSession(client: client) { sent, message in
            _ = try? node.note(sent ? RunRecord.runnerLabel : RunRecord.clientLabel, data: message.jsonText)
        }
        session.ssoSignIn = { url, idp in
            // The conference is the redirect's `conference` query (the node's own login page).
            let alias = URLComponents(string: url)?.queryItems?.first { $0.name == "conference" }?.value ?? scenario.client.conference
            return try? node.ssoLogin(conference: alias, idp: idp)
        }
        let timeline = TimelineExecutor(steps: scenario.timeline, node: node) { session.send($0) }
        timeline.start()
        let transcript = session.run(start: startMessage(scenario, node: node, caPEM: caPEM, dns: dns?.address), answers: scenario.client.answers,
                                     deadline: scenario.deadline * deadlineScale, grace: grace)
        let outcomes = timeline.stop()
        withExtendedLifetime(dns) {}  // dnsmasq stops with it
        let exit: ClientExit
        switch transcript.termination {
        case .exited(let code): exit = .exited(code)
        case .terminated: exit = .terminated
        case .killed: exit = .killed
        }
        _ = try? node.note("client_exit", data: JSONValue.string(exit.description).jsonText)
        let record = RunRecord(journal: node.journal(), exit: exit, protocolErrors: transcript.protocolErrors, timeline: outcomes)
        result.checks = Judge.evaluate(scenario.checks, record)
        switch Verdict(result.checks) {
        case .pass: result.outcome = .passed
        case .warn: result.outcome = .warned
        case .fail: result.outcome = .failed
        }
        result.exit = exit
        result.record = record
        result.standardError = transcript.standardError
        return result
    }

    /// dnsmasq records: `_pexapp._tcp.<domain>` → `node.<domain>`:port → 127.0.0.1; with
    /// `unreachableFirst`, a better-priority record to a port that was just freed (a node started and stopped).
    func dnsRecords(_ setup: DNSSetup, nodePort: UInt16) throws -> [String] {
        let d = setup.domain
        var records = ["--host-record=node.\(d),127.0.0.1", "--srv-host=_pexapp._tcp.\(d),node.\(d),\(nodePort),20,0"]
        if setup.unreachableFirst {
            let closed = try MockNode(conferences: [])
            try closed.start()
            let port = closed.port
            closed.stop()
            records = ["--host-record=down.\(d),127.0.0.1", "--srv-host=_pexapp._tcp.\(d),down.\(d),\(port),10,0"] + records
        }
        return records
    }

    /// The `start` message of the driver protocol for this scenario and node.
    public func startMessage(_ scenario: Scenario, node: MockNode, caPEM: String?, dns: String? = nil) -> JSONValue {
        var start: [String: JSONValue] = [
            "type": "start", "protocol": .number(1), "scenario": .string(scenario.name),
            "node": .string(node.baseURL), "conference": .string(scenario.client.conference),
            "display_name": .string(scenario.client.displayName),
        ]
        if let dns, let domain = scenario.node.dns?.domain {
            start["node"] = nil
            start["conference"] = .string(scenario.client.conference + "@" + domain)
            start["dns"] = ["server": .string(dns)]
        }
        if let pin = scenario.client.pin { start["pin"] = .string(pin) }
        if let ext = scenario.client.conferenceExtension { start["extension"] = .string(ext) }
        if let caPEM { start["tls_ca"] = .string(caPEM) }
        if let auth = scenario.node.proxyAuth, scenario.client.sendProxyAuth {
            start["proxy_auth"] = ["username": .string(auth.username), "password": .string(auth.password)]
        }
        return .object(start)
    }
}
