import ArgumentParser
import Conformance
import Foundation
import MockNode
import ScenarioKit

/// Where the scenarios are and which of them to take: shared by `run` and `list`.
struct ScenarioOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The scenarios folder.", discussion: "Default: $MOCKMCU_SCENARIOS, else ./Scenarios, else the Scenarios folder of the checkout mockmcu was built in.",
                               valueName: "dir"))
    var scenarios: String?

    @Option(name: .customLong("run"), parsing: .singleValue,
            help: ArgumentHelp("Run only scenarios matching this glob (repeatable); a group name such as 'pin' selects the group.", valueName: "pattern"))
    var runPatterns: [String] = []

    @Option(name: .customLong("skip"), parsing: .singleValue,
            help: ArgumentHelp("Leave out scenarios matching this glob (repeatable).", valueName: "pattern"))
    var skipPatterns: [String] = []

    @Option(help: ArgumentHelp("Run only shard I of N of the selected scenarios (e.g. 2/4), for a CI matrix: the same names in the same shard on every machine, shards balanced by expected duration.",
                               valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("YAML naming the features your client has ('features: [pin, chat]'); scenarios needing others are skipped. Without it, every feature is assumed.",
                               valueName: "file"))
    var features: String?

    /// The scenarios folder to use.
    func directory() throws -> String {
        if let scenarios { return scenarios }
        if let env = ProcessInfo.processInfo.environment["MOCKMCU_SCENARIOS"], !env.isEmpty { return env }
        let fm = FileManager.default
        if fm.fileExists(atPath: "Scenarios") { return "Scenarios" }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("Scenarios").path
            if fm.fileExists(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw ValidationError("no Scenarios folder here or above the mockmcu program: pass --scenarios DIR")
    }

    /// Loads every scenario; a bad file is a configuration error naming its line.
    func load() throws -> [Scenario] {
        let dir = try directory()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw ValidationError("the scenarios folder '\(dir)' does not exist")
        }
        guard isDir.boolValue else { throw ValidationError("--scenarios '\(dir)' is a file, not a folder of scenarios") }
        let (scenarios, problems) = ScenarioLoader.validate(directory: dir)
        guard problems.isEmpty else {
            throw ValidationError("invalid scenario files (mockmcu check lists them all):\n"
                                  + problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        return scenarios
    }

    /// The scenarios the selection picks; none is an error that echoes the patterns and suggests a name.
    func choose(_ all: [Scenario], _ selection: Selection) throws -> [Scenario] {
        for (flag, p) in runPatterns.map({ ("--run", $0) }) + skipPatterns.map({ ("--skip", $0) }) {
            if let problem = Selection.problem(p) { throw ValidationError("\(flag) \(problem)") }
        }
        let chosen = selection.chosen(all)
        if let shard, !chosen.isEmpty {
            let (i, n) = try Self.parseShard(shard)
            return Self.shard(chosen, i, of: n)
        }
        guard chosen.isEmpty else { return chosen }
        let names = all.map(\.name), groups = Array(Set(all.map(\.group).filter { !$0.isEmpty })).sorted()
        let given = runPatterns.map { "--run '\($0)'" } + skipPatterns.map { "--skip '\($0)'" }
        let near = runPatterns.lazy.compactMap { YAMLDocument.nearest($0, among: groups + names) }.first
        throw ValidationError("no scenario matches \(given.isEmpty ? "the selection" : given.joined(separator: " "))"
                              + (near.map { " (did you mean '\($0)'?)" } ?? "")
                              + "; \(all.count) exist" + (groups.isEmpty ? "" : " in groups \(groups.joined(separator: ", "))")
                              + " (mockmcu list shows them)")
    }

    static func parseShard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 64, i >= 1, i <= n else {
            throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N ≤ 64, e.g. 2/4 (got '\(text)')")
        }
        return (i, n)
    }

    /// Shard `i` (from 1) of `n`: longest expected first, each to the shard with the least
    /// expected time so far (ties to the lower shard), so that a name lands in the same shard on
    /// every machine given the same scenarios; in name order.
    static func shard(_ scenarios: [Scenario], _ i: Int, of n: Int) -> [Scenario] {
        var totals = [Double](repeating: 0, count: n)
        var mine: [Scenario] = []
        let order = scenarios.sorted { ($0.expectedSeconds, $1.name) > ($1.expectedSeconds, $0.name) }
        for s in order {
            let target = totals.indices.min { (totals[$0], $0) < (totals[$1], $1) }!
            // At least a little per scenario, so that many quick ones spread too.
            totals[target] += max(s.expectedSeconds, 0.5)
            if target == i - 1 { mine.append(s) }
        }
        return mine.sorted { $0.name < $1.name }
    }

    /// The selection from the options (features read and checked).
    func selection() throws -> Selection {
        var s = Selection()
        s.run = runPatterns
        s.skip = skipPatterns
        if let features { s.features = try Self.readFeatures(features) }
        return s
    }

    static func readFeatures(_ path: String) throws -> Set<String> {
        do {
            let doc = try YAMLDocument(contentsOf: path)
            let list = doc.root.sequence != nil ? doc.root : doc.value("features", in: doc.root)?.value
            guard let items = list?.sequence else {
                throw doc.error("expected 'features: [...]' (names: \(Feature.all.joined(separator: ", ")))", at: doc.root)
            }
            var out = Set<String>()
            for item in items {
                guard let word = item.string, Feature.all.contains(word) else {
                    let near = item.string.flatMap { YAMLDocument.nearest($0, among: Feature.all) }.map { " (did you mean '\($0)'?)" } ?? ""
                    throw doc.error("unknown feature '\(item.string ?? "?")'\(near); features: \(Feature.all.joined(separator: ", "))", at: item)
                }
                out.insert(word)
            }
            return out
        } catch let e as YAMLFileError {
            throw ValidationError("--features: \(e)")
        }
    }
}
