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

    /// Runs `scenarios` (already chosen and ordered); `progress` is called, one call at a time,
    /// as each finishes, with its index.
    public func run(_ scenarios: [Scenario], selection: Selection,
                    progress: @escaping @Sendable (Int, ScenarioResult) -> Void = { _, _ in }) -> [ScenarioResult] {
        var runner = self.runner
        if runner.tls == nil, scenarios.contains(where: \.node.tls) { runner.tls = try? TLSIdentity.selfSigned() }
        let board = ResultBoard(count: scenarios.count)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, scenarios.count) {
            group.enter()
            Thread { [runner] in
                while let i = board.claim() {
                    let scenario = scenarios[i]
                    let result = Self.runOne(scenario, runner: runner, selection: selection)
                    board.finish(i, result, progress)
                }
                group.leave()
            }.start()
        }
        group.wait()
        return board.results
    }

    static func runOne(_ scenario: Scenario, runner: ScenarioRunner, selection: Selection) -> ScenarioResult {
        let missing = selection.missing(for: scenario)
        if !missing.isEmpty {
            return ScenarioResult(name: scenario.name, summary: scenario.summary, outcome: .skipped,
                                  reason: "needs feature\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        var result = runner.run(scenario)
        if Selection.matches(scenario.name, selection.knownFailing) {
            switch result.outcome {
            case .failed, .error: result.outcome = .knownFailing
            case .passed: result.outcome = .unexpectedPass
            default: break
            }
        }
        return result
    }
}

/// The shared work queue and results of a suite run.
private final class ResultBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private var slots: [ScenarioResult?]

    init(count: Int) {
        self.count = count
        slots = Array(repeating: nil, count: count)
    }

    func claim() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func finish(_ i: Int, _ result: ScenarioResult, _ progress: (Int, ScenarioResult) -> Void) {
        lock.withLock {
            slots[i] = result
            progress(i, result)
        }
    }

    var results: [ScenarioResult] { lock.withLock { slots.compactMap { $0 } } }
}
