import Foundation
import ScenarioKit

/// The console view of a suite run: a line per scenario, failures with
/// their evidence, and a summary.
public enum ConsoleReport {
    /// `PASS  pin/host-pin  0.84 s`, or why not.
    public static func line(_ r: ScenarioResult) -> String {
        let time = String(format: "%5.2f s", r.duration)
        let name = r.name.padding(toLength: max(r.name.count, 44), withPad: " ", startingAt: 0)
        let repeated = r.runs.count > 1 ? "  (×\(r.runs.count))" : ""
        switch r.outcome {
        case .passed: return "PASS   \(name) \(time)" + repeated
        case .warned:
            return "WARN   \(name) \(time)  should: \(r.warnings.map(\.name).joined(separator: ", "))" + repeated
        case .failed:
            let names = r.mustFailures.map(\.name)
            let should = r.warnings.isEmpty ? "" : "; should: " + r.warnings.map(\.name).joined(separator: ", ")
            return "FAIL   \(name) \(time)  \(names.count) check(s) failed: \(names.joined(separator: ", "))" + should + repeated
        case .flaky:
            return "FLAKY  \(name) \(time)  runs: \(r.runs.map(Self.word).joined(separator: ", ")); differed: "
                + (r.flakyChecks.isEmpty ? "the outcome" : r.flakyChecks.joined(separator: ", "))
        case .skipped: return "SKIP   \(name)  \(r.reason ?? "")"
        case .knownFailing: return "KNOWN  \(name) \(time)  failed, as listed in --known-failing"
        case .unexpectedPass: return "XPASS  \(name) \(time)  passed, but is listed in --known-failing: trim the list"
        case .knownFlaky:
            let runs = r.runs.isEmpty ? "" : " (runs: \(r.runs.map(Self.word).joined(separator: ", ")))"
            return "KFLAKY \(name) \(time)  did not pass\(runs), accepted: listed in --known-flaky"
        case .error: return "ERROR  \(name)  \(r.reason ?? "")"
        }
    }

    /// The outcome as a short word: pass, warn, fail, …
    static func word(_ o: Outcome) -> String {
        switch o {
        case .passed: return "pass"
        case .warned: return "warn"
        case .failed: return "fail"
        case .flaky: return "flaky"
        case .skipped: return "skip"
        case .knownFailing: return "known"
        case .unexpectedPass: return "xpass"
        case .knownFlaky: return "known-flaky"
        case .error: return "error"
        }
    }

    /// Counts by outcome.
    public struct Tally: Sendable, Equatable {
        public var passed = 0, warned = 0, failed = 0, flaky = 0, skipped = 0, knownFailing = 0, unexpectedPasses = 0, errors = 0
        public var knownFlaky = 0

        public init(_ results: [ScenarioResult]) {
            for r in results {
                switch r.outcome {
                case .passed: passed += 1
                case .warned: warned += 1
                case .failed: failed += 1
                case .flaky: flaky += 1
                case .skipped: skipped += 1
                case .knownFailing: knownFailing += 1
                case .unexpectedPass: unexpectedPasses += 1
                case .knownFlaky: knownFlaky += 1
                case .error: errors += 1
                }
            }
        }

        /// Scenarios that ran (not skipped).
        public var ran: Int { passed + warned + failed + flaky + knownFailing + unexpectedPasses + errors + knownFlaky }
    }

    /// `31 scenarios in 12.3 s: 29 passed, 1 failed, 1 skipped`.
    public static func summary(_ results: [ScenarioResult], seconds: Double) -> String {
        let t = Tally(results)
        var parts = ["\(t.passed) passed"]
        if t.warned > 0 { parts.append("\(t.warned) warned") }
        parts.append("\(t.failed) failed")
        if t.flaky > 0 { parts.append("\(t.flaky) flaky") }
        if t.errors > 0 { parts.append("\(t.errors) could not run") }
        if t.skipped > 0 { parts.append("\(t.skipped) skipped") }
        if t.knownFailing > 0 { parts.append("\(t.knownFailing) known failing") }
        if t.knownFlaky > 0 { parts.append("\(t.knownFlaky) known flaky") }
        if t.unexpectedPasses > 0 { parts.append("\(t.unexpectedPasses) passed unexpectedly") }
        let runs = results.map(\.runs.count).max() ?? 0
        return "\(results.count) scenario(s)" + (runs > 1 ? ", each run \(runs) times," : "")
            + " in \(String(format: "%.1f", seconds)) s: " + parts.joined(separator: ", ")
    }

    /// The requests the node answered 404 "Unknown request" across the run (it does not simulate
    /// them), with how many scenarios saw each; nil when there were none.
    public static func notSimulated(_ results: [ScenarioResult]) -> String? {
        var order: [String] = [], seen: [String: (count: Int, scenarios: Int)] = [:]
        for r in results {
            for miss in r.record?.notSimulated ?? [] {
                let key = "\(miss.method) \(miss.request)"
                if seen[key] == nil { order.append(key) }
                seen[key, default: (0, 0)].count += miss.count
                seen[key, default: (0, 0)].scenarios += 1
            }
        }
        guard !order.isEmpty else { return nil }
        var out = ["Requests the node does not simulate (answered 404 \"Unknown request\"; docs/client-api.md lists what it serves):"]
        for key in order {
            let s = seen[key]!
            out.append("  \(key): \(s.count) time(s) in \(s.scenarios) scenario(s)")
        }
        return out.joined(separator: "\n")
    }

    /// What went wrong in a failed (or known-failing) scenario: each failed check with
    /// expected, actual and the journal entries it points at; then how the client ended.
    /// `trace` adds the whole journal and the client's stderr.
    public static func details(_ r: ScenarioResult, file: String?, trace: Bool) -> String {
        var out = ["── \(r.name)" + (file.map { "  (\($0))" } ?? ""), "   \(r.summary)"]
        if let reason = r.reason { out.append("   \(reason)") }
        if r.outcome == .flaky {
            out.append("   flaky: the runs gave \(r.runs.map(word).joined(separator: ", ")); checks that differed: "
                       + (r.flakyChecks.isEmpty ? "none (the outcome only)" : r.flakyChecks.joined(separator: ", "))
                       + ". Below: the first run with the worst outcome.")
        }
        let record = r.record
        for c in r.failedChecks {
            let mark = c.level == .must ? "✗ [must]" : "! [should]"
            out.append("   \(mark) \(c.name)" + (c.line > 0 ? "  (line \(c.line))" : ""))
            out.append("       expected: \(c.expected)")
            out.append("       actual:   \(c.actual)")
            if let record, !c.evidence.isEmpty {
                out.append("       journal:")
                let bySeq = Dictionary(record.journal.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
                for seq in c.evidence.prefix(12) { if let e = bySeq[seq] { out.append("         " + record.line(e)) } }
                if c.evidence.count > 12 { out.append("         … \(c.evidence.count - 12) more") }
            }
        }
        if let exit = r.exit { out.append("   client: \(exit)") }
        let err = r.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        if trace {
            if let record {
                out.append("   journal (times from the start message):")
                out += record.trace.map { "     " + $0 }
            }
            out.append("   client stderr:" + (r.standardError.isEmpty ? " (empty)" : ""))
            if !r.standardError.isEmpty { out += err.map { "     " + $0 } }
        } else if !r.standardError.isEmpty {
            out.append("   client stderr (last lines; --trace shows all and the journal):")
            out += err.suffix(6).filter { !$0.isEmpty }.map { "     " + $0 }
        }
        return out.joined(separator: "\n")
    }
}
