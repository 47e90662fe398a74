import Foundation
import MicroHTTP
import ScenarioKit

/// Which scenarios run, and what the client under test declares.
public struct Selection: Sendable {
    /// Glob patterns of names to run (empty: all). A plain group name (`pin`) selects the group.
    public var run: [String] = []
    /// Glob patterns of names to leave out.
    public var skip: [String] = []
    /// The client's features (nil: it has them all, as the reference client does).
    public var features: Set<String>?
    /// Glob patterns of names expected to fail.
    public var knownFailing: [String] = []
    /// A warning (a should check failed) counts as a failure.
    public var strict = false

    public init() {}

    /// Whether `name` matches any of `patterns`.
    public static func matches(_ name: String, _ patterns: [String]) -> Bool {
        patterns.contains { p in RunRecord.globMatch(p, name) || name.hasPrefix(p.hasSuffix("/") ? p : p + "/") }
    }

    /// The scenarios `run`/`skip` select, in name order.
    public func chosen(_ scenarios: [Scenario]) -> [Scenario] {
        scenarios.filter { (run.isEmpty || Self.matches($0.name, run)) && !Self.matches($0.name, skip) }
            .sorted { $0.name < $1.name }
    }

    /// Features a scenario needs that the client did not declare.
    public func missing(for scenario: Scenario) -> [String] {
        guard let features else { return [] }
        return scenario.features.filter { !features.contains($0) }
    }
}

/// Runs scenarios on `jobs` worker threads. Results come back in the order
/// of the scenarios given, whatever order they finish in.
public struct SuiteRunner: Sendable {
    public var runner: ScenarioRunner
    public var jobs: Int

    public init(runner: ScenarioRunner, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.runner = runner
        self.jobs = max(1, jobs)
    }

    /// Runs `scenarios` (already chosen and ordered), each `repeat` times; `progress` is called,
    /// one call at a time, as each scenario's last run finishes, with its index and merged result.
    /// A scenario whose verdict differs between its runs is `flaky`.
    public func run(_ scenarios: [Scenario], selection: Selection, repeat times: Int = 1,
                    progress: @escaping @Sendable (Int, ScenarioResult) -> Void = { _, _ in }) -> [ScenarioResult] {
        var runner = self.runner
        if runner.tls == nil, scenarios.contains(where: \.node.tls) { runner.tls = try? TLSIdentity.selfSigned() }
        let times = max(1, times)
        // Run k of every scenario before run k+1 of any, so that repeats meet different neighbours.
        let board = ResultBoard(scenarios: scenarios.count, runs: times)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, scenarios.count * times) {
            group.enter()
            Thread { [runner] in
                while let (i, k) = board.claim() {
                    let result = Self.runOne(scenarios[i], runner: runner, selection: selection)
                    board.finish(i, k, result, progress)
                }
                group.leave()
            }.start()
        }
        group.wait()
        return board.results
    }

    /// One result from several runs of a scenario: the common outcome, or `flaky` with the
    /// checks that differed (the evidence is the first run with the worst outcome).
    static func merge(_ runs: [ScenarioResult]) -> ScenarioResult {
        guard var merged = runs.first else { preconditionFailure("no runs to merge") }
        let outcomes = runs.map(\.outcome)
        if runs.count > 1 { merged.runs = outcomes }
        guard Set(outcomes).count > 1 else { return merged }
        let worst = runs.first { $0.outcome.failsRun() } ?? runs.first { $0.outcome == .warned } ?? merged
        merged = worst
        merged.runs = outcomes
        merged.outcome = .flaky
        var differed: [String] = []
        for check in runs.flatMap(\.checks) where check.level != .info && !differed.contains(check.name) {
            let verdicts = Set(runs.map { r in r.checks.first { $0.name == check.name && $0.line == check.line }?.passed })
            if verdicts.count > 1 { differed.append(check.name) }
        }
        merged.flakyChecks = differed
        return merged
    }

    static func runOne(_ scenario: Scenario, runner: ScenarioRunner, selection: Selection) -> ScenarioResult {
        let missing = selection.missing(for: scenario)
        if !missing.isEmpty {
            return ScenarioResult(name: scenario.name, summary: scenario.summary, outcome: .skipped,
                                  reason: "needs feature\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        var result = runner.run(scenario)
        if Selection.matches(scenario.name, selection.knownFailing) {
            if result.outcome.failsRun(strict: selection.strict) {
                result.outcome = .knownFailing
            } else if result.outcome == .passed || result.outcome == .warned {
                result.outcome = .unexpectedPass
            }
        }
        return result
    }
}

/// The shared work queue and results of a suite run: `runs` runs of each scenario.
private final class ResultBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let scenarios: Int, runs: Int
    private var slots: [[(run: Int, result: ScenarioResult)]]
    private var merged: [ScenarioResult?]

    init(scenarios: Int, runs: Int) {
        self.scenarios = scenarios
        self.runs = runs
        slots = Array(repeating: [], count: scenarios)
        merged = Array(repeating: nil, count: scenarios)
    }

    /// The next (scenario, run) to do.
    func claim() -> (Int, Int)? {
        lock.withLock {
            guard next < scenarios * runs else { return nil }
            defer { next += 1 }
            return (next % scenarios, next / scenarios)
        }
    }

    func finish(_ i: Int, _ k: Int, _ result: ScenarioResult, _ progress: (Int, ScenarioResult) -> Void) {
        lock.withLock {
            slots[i].append((k, result))
            guard slots[i].count == runs else { return }
            let m = SuiteRunner.merge(slots[i].sorted { $0.run < $1.run }.map(\.result))
            merged[i] = m
            progress(i, m)
        }
    }

    var results: [ScenarioResult] { lock.withLock { merged.compactMap { $0 } } }
}
