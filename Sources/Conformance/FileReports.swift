import Foundation
import MockNode
import ScenarioKit

/// JUnit XML: one testsuite per scenario group, one testcase per scenario;
/// a failure carries the failed checks and the wire trace. A warning (a
/// should check failed) is a `<system-out>` note and a `verdict` property,
/// and a failure only when `strict`; a flaky scenario is a failure.
public enum JUnitReport {
    public static func xml(_ results: [ScenarioResult], seconds: Double, strict: Bool = false, xpassFails: Bool = false) -> String {
        func failures(_ t: ConsoleReport.Tally) -> Int { t.failed + t.flaky + (strict ? t.warned : 0) + (xpassFails ? t.unexpectedPasses : 0) }
        let tally = ConsoleReport.Tally(results)
        var out = [#"<?xml version="1.0" encoding="UTF-8"?>"#]
        out.append(#"<testsuites name="mockmcu" tests="\#(results.count)" failures="\#(failures(tally))" errors="\#(tally.errors)" skipped="\#(tally.skipped + tally.knownFailing + tally.knownFlaky)" time="\#(f(seconds))">"#)
        out.append(#"  <properties><property name="suite_version" value="\#(SuiteVersion.current)"/></properties>"#)
        let groups = Dictionary(grouping: results) { r in r.name.split(separator: "/").dropLast().joined(separator: "/") }
        for group in groups.keys.sorted() {
            let rs = groups[group]!
            let t = ConsoleReport.Tally(rs)
            out.append(#"  <testsuite name="\#(esc(group.isEmpty ? "scenarios" : group))" tests="\#(rs.count)" failures="\#(failures(t))" errors="\#(t.errors)" skipped="\#(t.skipped + t.knownFailing + t.knownFlaky)" time="\#(f(rs.map(\.duration).reduce(0, +)))">"#)
            for r in rs {
                out.append(#"    <testcase classname="\#(esc(group))" name="\#(esc(r.name))" time="\#(f(r.duration))">"#)
                out.append(#"      <properties><property name="verdict" value="\#(ConsoleReport.word(r.outcome))"/><property name="content_hash" value="\#(r.contentHash)"/></properties>"#)
                switch r.outcome {
                case .warned where strict:
                    let message = "should: " + r.warnings.map(\.name).joined(separator: ", ")
                    out.append(#"      <failure message="\#(esc(message))" type="warning">\#(esc(ConsoleReport.details(r, file: nil, trace: true)))</failure>"#)
                case .warned:
                    out.append("      <system-out>\(esc("WARN (a should check failed; a failure with --strict)\n" + ConsoleReport.details(r, file: nil, trace: false)))</system-out>")
                case .flaky:
                    let message = "flaky: " + r.runs.map(ConsoleReport.word).joined(separator: ", ")
                    out.append(#"      <failure message="\#(esc(message))" type="flaky">\#(esc(ConsoleReport.details(r, file: nil, trace: true)))</failure>"#)
                case .unexpectedPass where xpassFails:
                    out.append(#"      <failure message="passed, but listed in --known-failing" type="xpass"/>"#)
                case .passed, .unexpectedPass:
                    break
                case .skipped:
                    out.append(#"      <skipped message="\#(esc(r.reason ?? ""))"/>"#)
                case .knownFailing:
                    out.append(#"      <skipped message="known failing: \#(esc(r.failedChecks.map(\.name).joined(separator: ", ")))"/>"#)
                case .knownFlaky:
                    out.append(#"      <skipped message="known flaky (did not pass: \#(esc(r.runs.map(ConsoleReport.word).joined(separator: ", "))))"/>"#)
                case .error:
                    out.append(#"      <error message="\#(esc(r.reason ?? "could not run"))"/>"#)
                case .failed:
                    let message = r.failedChecks.map(\.name).joined(separator: ", ")
                    out.append(#"      <failure message="\#(esc(message))" type="check">\#(esc(ConsoleReport.details(r, file: nil, trace: true)))</failure>"#)
                }
                if !r.standardError.isEmpty { out.append("      <system-err>\(esc(r.standardError))</system-err>") }
                out.append("    </testcase>")
            }
            out.append("  </testsuite>")
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    static func f(_ x: Double) -> String { String(format: "%.3f", x) }

    /// XML text escaping; control characters XML cannot hold become U+FFFD.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(u)
            default: out.unicodeScalars.append(u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF ? "\u{FFFD}" : u)
            }
        }
        return out
    }
}

/// The machine-readable report: per-scenario outcome, timings and check
/// verdicts; the journal and stderr of scenarios that did not pass.
public enum JSONReport {
    struct Document: Encodable {
        /// The report format's version.
        var version = 3
        var suiteVersion = SuiteVersion.current
        var client: String
        var seconds: Double
        var summary: Summary
        var scenarios: [Item]
    }

    struct Summary: Encodable {
        var total, passed, warned, failed, flaky, skipped, knownFailing, unexpectedPasses, errors, knownFlaky: Int
    }

    struct Item: Encodable {
        var name, summary, outcome: String
        var contentHash: String
        var reason: String?
        var seconds: Double
        var exit: String?
        /// Each run's outcome, with `--repeat`.
        var runs: [String]?
        var flakyChecks: [String]?
        var notSimulated: [NotSimulated]
        var checks: [CheckResult]
        var journal: [JournalEntry]?
        var stderr: String?
    }

    struct NotSimulated: Encodable {
        var method, request: String
        var count: Int
    }

    public static func data(_ results: [ScenarioResult], client: String, seconds: Double) throws -> Data {
        let t = ConsoleReport.Tally(results)
        let doc = Document(client: client, seconds: seconds,
                           summary: Summary(total: results.count, passed: t.passed, warned: t.warned, failed: t.failed, flaky: t.flaky,
                                            skipped: t.skipped, knownFailing: t.knownFailing, unexpectedPasses: t.unexpectedPasses,
                                            errors: t.errors, knownFlaky: t.knownFlaky),
                           scenarios: results.map { r in
                               let keep = r.outcome != .passed && r.outcome != .skipped && r.outcome != .unexpectedPass
                               let misses = (r.record?.notSimulated ?? []).map { NotSimulated(method: $0.method, request: $0.request, count: $0.count) }
                               return Item(name: r.name, summary: r.summary, outcome: r.outcome.rawValue, contentHash: r.contentHash,
                                           reason: r.reason,
                                           seconds: r.duration, exit: r.exit?.description,
                                           runs: r.runs.isEmpty ? nil : r.runs.map(\.rawValue),
                                           flakyChecks: r.outcome == .flaky ? r.flakyChecks : nil,
                                           notSimulated: misses, checks: r.checks,
                                           journal: keep ? r.record?.journal : nil, stderr: keep ? r.standardError : nil)
                           })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(doc)
    }
}

/// A Markdown summary for a CI job's page (GitHub's `$GITHUB_STEP_SUMMARY`): the verdict
/// counts, then each scenario that failed, was flaky or warned, with its first failed check
/// and what happened.
public enum MarkdownReport {
    public static func text(_ results: [ScenarioResult], client: String, seconds: Double, strict: Bool = false,
                            xpassFails: Bool = false) -> String {
        let t = ConsoleReport.Tally(results)
        let failing = results.filter { $0.outcome.failsRun(strict: strict, xpassFails: xpassFails) }
        var parts = ["\(t.passed) passed"]
        for (n, word) in [(t.warned, "warned"), (t.failed, "failed"), (t.flaky, "flaky"), (t.errors, "could not run"),
                          (t.knownFailing, "known failing"), (t.knownFlaky, "known flaky"), (t.unexpectedPasses, "passed unexpectedly"),
                          (t.skipped, "skipped")] where n > 0 {
            parts.append("\(n) \(word)")
        }
        var out = ["## \(failing.isEmpty ? "✅" : "❌") MockMCU conformance: " + parts.joined(separator: ", "), ""]
        out.append("Suite \(SuiteVersion.current) · \(results.count) scenario(s) in \(String(format: "%.1f", seconds)) s · client `\(cell(client))`")
        out.append("")
        out.append("| verdict | scenarios |")
        out.append("|---|---|")
        for (word, n) in [("PASS", t.passed), ("WARN", t.warned), ("FAIL", t.failed), ("FLAKY", t.flaky), ("ERROR", t.errors),
                          ("KNOWN", t.knownFailing), ("KFLAKY", t.knownFlaky), ("XPASS", t.unexpectedPasses), ("SKIP", t.skipped)] where n > 0 {
            out.append("| \(word) | \(n) |")
        }
        func section(_ title: String, _ rs: [ScenarioResult], _ first: (ScenarioResult) -> CheckResult?) {
            guard !rs.isEmpty else { return }
            out.append("")
            out.append("### \(title)")
            out.append("")
            for r in rs {
                var line = "- **\(cell(r.name))**"
                if r.outcome == .flaky { line += " (runs: \(r.runs.map(ConsoleReport.word).joined(separator: ", ")))" }
                if let c = first(r) {
                    line += " — `\(cell(c.name))`" + (c.line > 0 ? " (line \(c.line))" : "") + ": " + cell(c.actual)
                } else if let reason = r.reason {
                    line += " — " + cell(reason)
                }
                out.append(line)
            }
        }
        section("Failed", results.filter { $0.outcome == .failed || $0.outcome == .error }) { $0.mustFailures.first ?? $0.failedChecks.first }
        section("Flaky", results.filter { $0.outcome == .flaky }) { $0.mustFailures.first ?? $0.failedChecks.first }
        section("Warned", results.filter { $0.outcome == .warned }) { $0.warnings.first }
        return out.joined(separator: "\n") + "\n"
    }

    /// Text safe in a table cell or a list item: one line, no pipes or backticks breaking it.
    static func cell(_ s: String) -> String {
        let one = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'")
        return one.count > 300 ? String(one.prefix(300)) + "…" : one
    }
}
