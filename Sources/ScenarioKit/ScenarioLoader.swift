import Foundation
import MockNode
import PexipWire
import Yams

/// Reads scenario files: one YAML file per scenario, named by its path under
/// the scenarios folder. Every error is `file:line: what is wrong` and, for a
/// misspelt key, suggests the nearest one.
public enum ScenarioLoader {
    static let topKeys = ["summary", "features", "deadline", "conferences", "node", "client", "timeline", "checks"]

    /// Every `*.yaml` under `directory`, sorted by name. Fails on the first bad file
    /// (use `validate` to collect every problem).
    public static func loadAll(from directory: String) throws -> [Scenario] {
        let (scenarios, problems) = validate(directory: directory)
        if let first = problems.first { throw first }
        return scenarios
    }

    /// Every scenario under `directory` that loads, and every problem found, both sorted by file.
    public static func validate(directory: String) -> (scenarios: [Scenario], problems: [YAMLFileError]) {
        let files: [String]
        do {
            files = try scenarioFiles(in: directory)
        } catch {
            return ([], [YAMLFileError(file: directory, line: nil, message: "\(error)")])
        }
        var scenarios: [Scenario] = []
        var problems: [YAMLFileError] = []
        for relative in files {
            do {
                scenarios.append(try load(path: (directory as NSString).appendingPathComponent(relative), name: name(of: relative)))
            } catch let e as YAMLFileError {
                problems.append(e)
            } catch let e as YAMLFileErrors {
                problems += e.problems
            } catch {
                problems.append(YAMLFileError(file: relative, line: nil, message: "\(error)"))
            }
        }
        if scenarios.isEmpty && problems.isEmpty {
            problems.append(YAMLFileError(file: directory, line: nil, message: "no scenario files (*.yaml) found"))
        }
        return (scenarios, problems)
    }

    /// The scenario files under `directory`, relative to it, sorted.
    public static func scenarioFiles(in directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw YAMLFileError(file: directory, line: nil, message: "not a folder of scenarios")
        }
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { out.append(path) }
        }
        return out.sorted()
    }

    /// `pin/host-pin.yaml` → `pin/host-pin`.
    public static func name(of relativePath: String) -> String {
        let p = relativePath as NSString
        return p.deletingPathExtension
    }

    /// Loads one file; `name` is its scenario name.
    public static func load(path: String, name: String) throws -> Scenario {
        try load(YAMLDocument(contentsOf: path), name: name)
    }

    /// Loads scenario YAML text (for tests and tools).
    public static func load(text: String, name: String, file: String? = nil) throws -> Scenario {
        try load(YAMLDocument(text: text, file: file ?? name + ".yaml"), name: name)
    }

    /// Every problem of the file is reported (`YAMLFileErrors`, in line order): each section is
    /// read on its own, and so is each timeline step and each check.
    static func load(_ doc: YAMLDocument, name: String) throws -> Scenario {
        let r = YAMLReader(doc: doc)
        var problems: [YAMLFileError] = []
        guard doc.root.mapping != nil else { throw r.error("the scenario should be a mapping (key: value)", at: doc.root) }
        problems += doc.keyProblems(of: doc.root, allowed: topKeys, context: "the scenario")
        let top = (doc.root.mapping ?? [:]).map { (key: $0.key.string ?? "", keyNode: $0.key, value: $0.value) }
        func value(_ key: String) -> Node? { top.first { $0.key == key }?.value }
        func required(_ key: String, _ hint: String) throws -> Node {
            guard let v = value(key) else { throw r.error("missing '\(key)': \(hint)", at: doc.root) }
            return v
        }
        func attempt<T>(_ body: () throws -> T) -> T? { YAMLFileErrors.collect(&problems, body) }
        let summary = attempt { try r.string(required("summary", "one line on what the scenario proves"), what: "'summary'") }
        let conferences = attempt { try ConferenceFile.conferences(in: required("conferences", "the conferences the node serves"), doc: doc) }
        var features: [String] = []
        if let f = value("features"), let items = attempt({ try r.list(f, what: "'features'") }) {
            for item in items {
                _ = attempt {
                    let word = try r.string(item, what: "a feature")
                    guard Feature.all.contains(word) else {
                        var m = "unknown feature '\(word)'"
                        if let near = YAMLDocument.nearest(word, among: Feature.all) { m += " (did you mean '\(near)'?)" }
                        throw r.error(m + "; features: \(Feature.all.joined(separator: ", "))", at: item)
                    }
                    features.append(word)
                }
            }
        }
        let deadline = attempt { try value("deadline").map { try r.number($0, what: "'deadline'", limit: Scenario.deadlineLimit) } } ?? nil
        let node = attempt { try value("node").map { try nodeSetup($0, r) } ?? NodeSetup() }
        // The client names a conference: judged only once the conferences have loaded.
        let client = conferences.flatMap { c in attempt { try clientSetup(required("client", "what the client dials and answers"), r, conferences: c) } }
        var timeline: [TimelineStep] = []
        if let t = value("timeline"), let steps = attempt({ try r.list(t, what: "'timeline'") }) {
            for step in steps { if let parsed = attempt({ try TimelineParser.step(step, r) }) { timeline.append(parsed) } }
        }
        var checks: [CheckSpec] = []
        if let checkList = attempt({ try r.list(required("checks", "what the run must show"), what: "'checks'") }) {
            if checkList.isEmpty { problems.append(r.error("'checks' is empty: a scenario must check something", at: value("checks"))) }
            for item in checkList { if let check = attempt({ try CheckParser.check(item, r) }) { checks.append(check) } }
        }
        if let all = YAMLFileErrors(problems) { throw all.problems.count == 1 ? all.problems[0] as Error : all }
        guard let summary, let conferences, let client, let node else { throw r.error("the scenario could not be read", at: doc.root) }
        var scenario = Scenario(name: name, file: doc.file, summary: summary, features: features, conferences: conferences,
                                node: node, client: client, timeline: timeline, checks: checks,
                                deadline: deadline ?? Scenario.defaultDeadline)
        scenario.contentHash = doc.contentHash
        try impliedFeatures(&scenario, r, top: top)
        return scenario
    }

    private static func nodeSetup(_ n: Node, _ r: YAMLReader) throws -> NodeSetup {
        var setup = NodeSetup()
        for (key, _, v) in try r.mapping(n, what: "'node'", allowed: ["proxy_auth", "tls", "dns"]) {
            switch key {
            case "tls": setup.tls = try r.bool(v, what: "'node.tls'")
            case "dns":
                var dns = DNSSetup()
                for (k, _, x) in try r.mapping(v, what: "'node.dns'", allowed: ["domain", "unreachable_first"]) {
                    if k == "domain" {
                        dns.domain = try r.string(x, what: "'domain'")
                        guard dns.domain.contains("."), !dns.domain.contains("@"), !dns.domain.contains(" ") else {
                            throw r.error("'domain' should be a domain name such as example.test", at: x)
                        }
                    } else {
                        dns.unreachableFirst = try r.bool(x, what: "'unreachable_first'")
                    }
                }
                setup.dns = dns
            default:
                var user = "", pass = "", status = 401
                for (k, _, x) in try r.mapping(v, what: "'node.proxy_auth'", allowed: ["username", "password", "status"]) {
                    switch k {
                    case "username": user = try r.string(x, what: "'username'")
                    case "password": pass = try r.string(x, what: "'password'")
                    default:
                        status = try r.integer(x, what: "'status'")
                        guard status == 401 || status == 407 else { throw r.error("'status' should be 401 or 407", at: x) }
                    }
                }
                guard !user.isEmpty else { throw r.error("'node.proxy_auth' needs a username", at: v) }
                setup.proxyAuth = ProxyAuth(username: user, password: pass, status: status)
            }
        }
        return setup
    }

    private static func clientSetup(_ n: Node, _ r: YAMLReader, conferences: [ConferenceConfig]) throws -> ClientSetup {
        let allowed = ["conference", "conference_exists", "display_name", "pin", "extension", "answer_pin", "answer_extension",
                       "answer_sso", "send_proxy_auth"]
        let entries = try r.mapping(n, what: "'client'", allowed: allowed)
        var setup = ClientSetup(conference: conferences[0].alias)
        let exists = try entries.first { $0.key == "conference_exists" }.map { try r.bool($0.value, what: "'conference_exists'") } ?? true
        for (key, _, v) in entries {
            switch key {
            case "conference_exists":
                continue
            case "conference":
                setup.conference = try r.string(v, what: "'client.conference'")
                let known = conferences.contains { $0.alias.lowercased() == setup.conference.lowercased() }
                if known != exists {
                    throw r.error(exists ? "'client.conference' is '\(setup.conference)', which is not among the scenario's conferences "
                                  + "(\(conferences.map(\.alias).joined(separator: ", "))); to dial an unknown alias on purpose, add 'conference_exists: false'"
                                  : "'client.conference' is among the scenario's conferences, but 'conference_exists' is false", at: v)
                }
            case "display_name": setup.displayName = try r.string(v, what: "'client.display_name'")
            case "pin": setup.pin = try r.string(v, what: "'client.pin'")
            case "extension": setup.conferenceExtension = try r.string(v, what: "'client.extension'")
            case "answer_pin": setup.pinAnswer = try r.string(v, what: "'client.answer_pin'")
            case "answer_extension": setup.extensionAnswer = try r.string(v, what: "'client.answer_extension'")
            case "answer_sso":
                // `answer_sso: NAME` or `{idp: NAME|UUID, sso_token: TEXT}`.
                if v.mapping == nil {
                    setup.ssoIDPAnswer = try r.string(v, what: "'client.answer_sso'")
                } else {
                    for (k, _, value) in try r.mapping(v, what: "'client.answer_sso'", allowed: ["idp", "sso_token"]) {
                        if k == "idp" { setup.ssoIDPAnswer = try r.string(value, what: "'answer_sso.idp'") }
                        else { setup.ssoTokenAnswer = try r.string(value, what: "'answer_sso.sso_token'") }
                    }
                }
            default: setup.sendProxyAuth = try r.bool(v, what: "'client.send_proxy_auth'")
            }
        }
        return setup
    }

    /// A scenario using PINs, a reception, chat, TLS or a proxy must say so in `features`,
    /// so that clients without the feature skip it rather than fail.
    private static func impliedFeatures(_ s: inout Scenario, _ r: YAMLReader, top: [(key: String, keyNode: Node, value: Node)]) throws {
        var needed: [String] = []
        if s.conferences.contains(where: { $0.hostPIN != nil }) { needed.append("pin") }
        if s.conferences.contains(where: { $0.type == .reception }) { needed.append("virtual_reception") }
        if s.node.tls { needed.append("tls") }
        if s.node.proxyAuth != nil { needed.append("proxy_auth") }
        if s.node.dns != nil { needed.append("srv_discovery") }
        if s.conferences.contains(where: { !$0.ssoIDPs.isEmpty }) { needed.append("sso") }
        let at = top.first { $0.key == "features" }?.keyNode ?? r.doc.root
        for f in needed where !s.features.contains(f) {
            throw r.error("the scenario needs feature '\(f)' (from its setup): add it to 'features'", at: at)
        }
    }
}
