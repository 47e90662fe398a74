import Foundation
import ScenarioKit

/// The console view of a suite run: a line per scenario, failures with
/// their evidence, and a summary.
public enum ConsoleReport {
    /// `PASS  pin/host-pin  0.84 s`, or why not.
    public static func line(_ r: ScenarioResult) -> String {
        let time = String(format: "%5.2f s", r.duration)
        let name = r.name.padding(toLength: max(r.name.count, 44), withPad: " ", startingAt: 0)
        switch r.outcome {
        case .passed: return "PASS   \(name) \(time)"
        case .failed:
            let names = r.failedChecks.map(\.name)
            return "FAIL   \(name) \(time)  \(names.count) check(s) failed: \(names.joined(separator: ", "))"
        case .skipped: return "SKIP   \(name)  \(r.reason ?? "")"
        case .knownFailing: return "KNOWN  \(name) \(time)  failed, as listed in --known-failing"
        case .unexpectedPass: return "XPASS  \(name) \(time)  passed, but is listed in --known-failing: trim the list"
        case .error: return "ERROR  \(name)  \(r.reason ?? "")"
        }
    }

    /// Counts by outcome.
    public struct Tally: Sendable, Equatable {
        public var passed = 0, failed = 0, skipped = 0, knownFailing = 0, unexpectedPasses = 0, errors = 0

        public init(_ results: [ScenarioResult]) {
            for r in results {
                switch r.outcome {
                case .passed: passed += 1
                case .failed: failed += 1
                case .skipped: skipped += 1
                case .knownFailing: knownFailing += 1
                case .unexpectedPass: unexpectedPasses += 1
                case .error: errors += 1
                }
            }
        }

        /// Scenarios that ran (not skipped).
        public var ran: Int { passed + failed + knownFailing + unexpectedPasses + errors }
    }

    /// `31 scenarios in 12.3 s: 29 passed, 1 failed, 1 skipped`.
    public static func summary(_ results: [ScenarioResult], seconds: Double) -> String {
        let t = Tally(results)
        var parts = ["\(t.passed) passed", "\(t.failed) failed"]
        if t.errors > 0 { parts.append("\(t.errors) could not run") }
        if t.skipped > 0 { parts.append("\(t.skipped) skipped") }
        if t.knownFailing > 0 { parts.append("\(t.knownFailing) known failing") }
        if t.unexpectedPasses > 0 { parts.append("\(t.unexpectedPasses) passed unexpectedly") }
        return "\(results.count) scenario(s) in \(String(format: "%.1f", seconds)) s: " + parts.joined(separator: ", ")
    }

    /// What went wrong in a failed (or known-failing) scenario: each failed check with
    /// expected, actual and the journal entries it points at; then how the client ended.
    /// `trace` adds the whole journal and the client's stderr.
    public static func details(_ r: ScenarioResult, file: String?, trace: Bool) -> String {
        var out = ["── \(r.name)" + (file.map { "  (\($0))" } ?? ""), "   \(r.summary)"]
        if let reason = r.reason { out.append("   \(reason)") }
        let record = r.record
        for c in r.failedChecks {
            out.append("   ✗ \(c.name)" + (c.line > 0 ? "  (line \(c.line))" : ""))
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
