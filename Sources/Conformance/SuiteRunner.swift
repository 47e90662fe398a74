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
    /// Glob patterns of names known to be flaky: passing and failing both accepted.
    public var knownFlaky: [String] = []
    /// A warning (a should check failed) counts as a failure.
    public var strict = false

    public init() {}

    /// What is wrong with a `--run`/`--skip` pattern, if anything: only `*` and `?` are wildcards.
    public static func problem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "'': an empty pattern matches nothing" }
        if let c = pattern.first(where: { "[]{}".contains($0) }) {
            return "'\(pattern)': '\(c)' is not a wildcard here (only * and ? are: 'pin/*', 'reconnect/drop?ed-stream')"
        }
        return nil
    }

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

/// How many scenarios run at once.
public enum Parallelism: Sendable, Equatable {
    /// This many, always.
    case fixed(Int)
    /// One per core at least; more, up to `maximum`, while the runs under way are estimated
    /// to leave half the cores idle (see `JobGate`). Scenarios mostly wait (for token
    /// lifetimes, refreshes, back-offs), so a client that sleeps between requests gets many at
    /// once, and one that keeps the cores busy (a browser) about one per core.
    case adaptive(maximum: Int)

    /// The default: adaptive up to eight per core (at most 32).
    public static var automatic: Parallelism {
        .adaptive(maximum: min(32, 8 * ProcessInfo.processInfo.activeProcessorCount))
    }

    /// The most that may run at once.
    public var ceiling: Int {
        switch self {
        case .fixed(let n): return max(1, n)
        case .adaptive(let m): return max(1, m)
        }
    }
}

/// Runs scenarios, several at once, longest expected first. Results come back in the order
/// of the scenarios given, whatever order they finish in.
public struct SuiteRunner: Sendable {
    public var runner: ScenarioRunner
    public var parallelism: Parallelism

    public init(runner: ScenarioRunner, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.init(runner: runner, parallelism: .fixed(max(1, jobs)))
    }

    public init(runner: ScenarioRunner, parallelism: Parallelism) {
        self.runner = runner
        self.parallelism = parallelism
    }

    /// Runs `scenarios` (already chosen and ordered), each `repeat` times; `progress` is called,
    /// one call at a time, as each scenario's last run finishes, with its index and merged result.
    /// A scenario whose verdict differs between its runs is `flaky`.
    public func run(_ scenarios: [Scenario], selection: Selection, repeat times: Int = 1,
                    progress: @escaping @Sendable (Int, ScenarioResult) -> Void = { _, _ in }) -> [ScenarioResult] {
        var runner = self.runner
        if runner.tls == nil, scenarios.contains(where: \.node.tls) { runner.tls = try? TLSIdentity.selfSigned() }
        let times = max(1, times)
        // Longest first, so that the long waits overlap the short ones instead of ending the run;
        // run k of every scenario before run k+1 of any, so that repeats meet different neighbours.
        let order = scenarios.indices.sorted { scenarios[$0].expectedSeconds > scenarios[$1].expectedSeconds }
        let board = ResultBoard(order: order, runs: times)
        board.knownFlaky = { [patterns = selection.knownFlaky] name in Selection.matches(name, patterns) }
        let gate = JobGate(parallelism, total: scenarios.count * times)
        while let (i, k) = board.claim() {
            gate.admit()
            Thread { [runner] in
                let result = Self.runOne(scenarios[i], runner: runner, selection: selection)
                board.finish(i, k, result, progress)
                gate.done()
            }.start()
        }
        gate.waitForAll()
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
            var skipped = ScenarioResult(name: scenario.name, summary: scenario.summary, outcome: .skipped,
                                         reason: "needs feature\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
            skipped.contentHash = scenario.contentHash
            return skipped
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
    private let order: [Int]
    private let runs: Int
    private var slots: [[(run: Int, result: ScenarioResult)]]
    private var merged: [ScenarioResult?]

    /// Whether a scenario is listed in `--known-flaky` (set before the first run).
    var knownFlaky: @Sendable (String) -> Bool = { _ in false }

    init(order: [Int], runs: Int) {
        self.order = order
        self.runs = runs
        slots = Array(repeating: [], count: order.count)
        merged = Array(repeating: nil, count: order.count)
    }

    /// The next (scenario, run) to do.
    func claim() -> (Int, Int)? {
        lock.withLock {
            guard next < order.count * runs else { return nil }
            defer { next += 1 }
            return (order[next % order.count], next / order.count)
        }
    }

    func finish(_ i: Int, _ k: Int, _ result: ScenarioResult, _ progress: (Int, ScenarioResult) -> Void) {
        lock.withLock {
            slots[i].append((k, result))
            guard slots[i].count == runs else { return }
            var m = SuiteRunner.merge(slots[i].sorted { $0.run < $1.run }.map(\.result))
            if knownFlaky(m.name), m.outcome == .failed || m.outcome == .flaky || m.outcome == .warned {
                m.outcome = .knownFlaky
            }
            merged[i] = m
            progress(i, m)
        }
    }

    var results: [ScenarioResult] { lock.withLock { merged.compactMap { $0 } } }
}

/// Admits scenario runs: at once up to the floor (the fixed count, or one per core), and past
/// it, while adaptive, as many as the CPU has room for. Every tenth of a second it reads how
/// busy the machine is (whoever keeps it busy) and, from that and the runs under way, what one
/// run costs; it admits runs while their estimated total stays under half the cores, so that
/// the clients' timers still fire on time.
final class JobGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = 0
    private let floor: Int, ceiling: Int
    private let adaptive: Bool
    private let meter = CPUMeter()
    /// Busy cores, smoothed over the last half second or so (nil until read).
    private var busy: Double?
    /// How many may run now, from the last reading.
    private var room = 0

    init(_ parallelism: Parallelism, total: Int) {
        ceiling = min(parallelism.ceiling, max(1, total))
        switch parallelism {
        case .fixed: floor = ceiling; adaptive = false
        case .adaptive: floor = min(ceiling, ProcessInfo.processInfo.activeProcessorCount); adaptive = true
        }
        room = floor
    }

    /// Blocks until another run may start, and counts it.
    func admit() {
        condition.lock()
        defer { condition.unlock() }
        while running >= room {
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
            if adaptive { reassess() }
        }
        running += 1
    }

    private func reassess() {
        guard let sample = meter.busyCores() else { return }
        let smoothed = busy.map { 0.6 * $0 + 0.4 * sample } ?? sample
        busy = smoothed
        // What one run costs, at least 2% of a core (a run always costs a little).
        let each = max(0.02, smoothed / Double(max(1, running)))
        room = min(ceiling, max(floor, Int((0.5 * meter.cores / each).rounded(.down))))
    }

    func done() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForAll() {
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}

/// Busy CPU, in cores, since the previous reading of `/proc/stat` (nil where there is none).
final class CPUMeter: @unchecked Sendable {
    private var previous: (idle: Double, total: Double)?
    let cores = Double(ProcessInfo.processInfo.activeProcessorCount)

    /// Busy cores over the time since the last call at least 0.1 s ago (nil on the first call).
    func busyCores() -> Double? {
        guard let now = Self.read() else { return nil }
        guard let before = previous else {
            previous = now
            return nil
        }
        let total = now.total - before.total
        // Clock ticks are 10 ms: under 0.1 s the reading is too coarse, keep the older one.
        guard total >= 10 * cores else { return nil }
        previous = now
        return max(0, 1 - (now.idle - before.idle) / total) * cores
    }

    private static func read() -> (idle: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 4 else { return nil }
        // user nice system idle iowait irq softirq steal
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        return (idle, fields.prefix(8).reduce(0, +))
    }
}
