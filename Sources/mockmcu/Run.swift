import ArgumentParser
import Conformance
import Foundation
import MicroHTTP
import ScenarioKit

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the conformance scenarios against a client program.",
        discussion: """
        Each scenario gets a fresh mock node on a free loopback port and a fresh run of the \
        client command, which must speak the client driver protocol v1 on stdin/stdout \
        (docs/driver-protocol.md). The client is judged from the node's wire journal and \
        from what it reports.

        Every check has a level: must (a client failing it breaks on a real node), should \
        (recommended robustness), info (observations). A scenario is PASS, WARN (every must \
        passed, a should failed) or FAIL; with --repeat, FLAKY when its runs disagree.

        Exit status: 0 when every selected scenario that ran passed or warned (skipped and \
        known-failing ones aside; with --strict a warning fails); 1 when any failed, was flaky, \
        or none ran; 2 for a usage or configuration error.

        Examples:
          mockmcu run -- .build/debug/pexip-client --driver
          mockmcu run --run 'pin/*' --trace -- python3 my_adapter.py
          mockmcu run --repeat 3 --strict -- ./client --driver
          mockmcu run --features f.yaml --known-failing known.txt \\
                      --junit junit.xml --json results.json -- ./client --driver

        A single argument after -- is a shell command line; several are quoted word by word. \
        `mockmcu list` shows the scenarios; docs/running.md is the guide for client authors, \
        docs/scenarios.md explains every check. Ctrl-C stops every running client.
        """
    )

    @OptionGroup var options: ScenarioOptions

    @Option(help: ArgumentHelp("Scenarios run at once: a number, or auto (the default): one per core, and more, up to eight per core, while the runs under way leave half the CPU idle (a browser client stays near one per core).",
                               valueName: "n|auto"), transform: Jobs.parse)
    var jobs: Jobs = .auto

    @Option(help: ArgumentHelp("Names or globs of scenarios expected to fail, one per line ('#' comments). They are reported but do not fail the run.",
                               valueName: "file"))
    var knownFailing: String?

    @Option(help: ArgumentHelp("Names or globs of scenarios known to be flaky, one per line ('#' comments): passing and failing both accepted, and reported as such (KFLAKY).",
                               valueName: "file"))
    var knownFlaky: String?

    @Flag(help: "An unexpected pass (XPASS: listed in --known-failing, but it passed) fails the run, so the list cannot go stale.")
    var failOnXpass = false

    @Option(help: ArgumentHelp("Write a JUnit XML report here.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Write a JSON report here (per-check verdicts, timings, the journal of failures).", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Write a Markdown summary here (verdict counts, each failed or warned scenario with its first failed check). When $GITHUB_STEP_SUMMARY is set it is also appended there, for the job's page.",
                               valueName: "file"))
    var markdown: String?

    @Flag(help: "For each failed scenario, print the whole wire journal and the client's stderr.")
    var trace = false

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Run each scenario this many times; one whose verdict differs between runs is FLAKY and fails the run.",
                                  valueName: "n"))
    var repetitions = 1

    @Flag(help: ArgumentHelp("Serve every scenario's node over HTTPS with one self-signed certificate, sent as tls_ca in start.",
                             discussion: "For clients that build https:// URLs themselves (PexRTC does). Discovery scenarios stay as they are: their SRV record's port decides the scheme."))
    var tls = false

    @Flag(help: "A warning (a should check failed) fails the run too.")
    var strict = false

    // `.unconditional`: `--grace -1` is a value to refuse with a reason, not a missing one.
    @Option(parsing: .unconditional, help: "Seconds the client gets to exit after leave, and again after SIGTERM.")
    var grace = 2.0

    @Option(parsing: .unconditional, help: "Multiply every scenario's deadline (for slow clients).")
    var deadlineScale = 1.0

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The client command, after --.", valueName: "client command"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the client command after --, e.g. mockmcu run -- ./my-client") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repeat must be between 1 and 100") }
        guard grace > 0, grace <= 60 else {
            throw ValidationError("--grace must be more than 0 and at most 60 seconds (got \(Self.number(grace)))")
        }
        guard deadlineScale > 0, deadlineScale <= 20 else {
            throw ValidationError("--deadline-scale must be above 0 and at most 20 (got \(Self.number(deadlineScale)))")
        }
        if let program = programWord, !Self.canExecute(program) {
            throw ValidationError("cannot run the client: '\(program)' is not an executable file\(program.contains("/") ? "" : " on PATH")")
        }
    }

    /// The program the client command starts, when it can be told without running a shell
    /// (several arguments, or one without shell syntax).
    var programWord: String? {
        if command.count > 1 { return command[0] }
        let line = command.first ?? ""
        guard line.rangeOfCharacter(from: CharacterSet(charactersIn: "'\"\\$`;&|<>(){}*?=~")) == nil else { return nil }
        return line.split(separator: " ").first.map(String.init)
    }

    /// A number as the user wrote it (`-1`, not `-1.0`).
    static func number(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }

    static func canExecute(_ program: String) -> Bool {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }

    /// One argument: a shell command line as given; more: each word quoted.
    var shellCommand: String {
        command.count == 1 ? command[0] : command.map(Self.quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:@%+,".unicodeScalars.contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func run() throws {
        let all = try options.load()
        var selection = try options.selection()
        if let knownFailing { selection.knownFailing = try Self.readPatterns(knownFailing) }
        if let knownFlaky { selection.knownFlaky = try Self.readPatterns(knownFlaky) }
        selection.strict = strict
        let chosen = try options.choose(all, selection)
        for (flag, list) in [("--known-failing", selection.knownFailing), ("--known-flaky", selection.knownFlaky)] {
            for p in list where !all.contains(where: { Selection.matches($0.name, [p]) }) {
                FileHandle.standardError.write(Data("warning: \(flag) pattern '\(p)' matches no scenario\n".utf8))
            }
        }
        Interruption.install { signal in
            let n = ChildRegistry.killAll()
            FileHandle.standardError.write(Data("\ninterrupted: stopped \(n) running client(s) and helper(s)\n".utf8))
            Foundation.exit(128 + signal)
        }
        var runner = ScenarioRunner(command: shellCommand)
        runner.grace = grace
        runner.deadlineScale = deadlineScale
        if tls {
            runner.tlsEverywhere = true
            runner.tls = try TLSIdentity.selfSigned()
        }
        let suite = SuiteRunner(runner: runner, parallelism: jobs.parallelism)
        let most = min(jobs.parallelism.ceiling, chosen.count * repetitions)
        let atOnce: String
        switch jobs {
        case .count: atOnce = "\(most) at a time"
        case .auto: atOnce = "up to \(most) at a time while the CPU has room"
        }
        print("Running \(chosen.count) scenario(s) of suite \(SuiteVersion.current)" + (repetitions > 1 ? " \(repetitions) times each" : "")
              + ", \(atOnce), against: \(shellCommand)")
        let printer = OrderedPrinter(total: chosen.count, strict: strict, xpassFails: failOnXpass)
        let began = Date()
        let results = suite.run(chosen, selection: selection, repeat: repetitions) { i, r in printer.add(i, r) }
        printer.finish()
        let seconds = Date().timeIntervalSince(began)

        let files = Dictionary(all.map { ($0.name, $0.file) }, uniquingKeysWith: { a, _ in a })
        let bad = results.filter { $0.outcome.failsRun(strict: strict) || $0.outcome == .knownFailing || $0.outcome == .knownFlaky }
        if !bad.isEmpty {
            print("\nFailures:")
            for r in bad { print(ConsoleReport.details(r, file: files[r.name], trace: trace) + "\n") }
        }
        let warned = results.filter { $0.outcome == .warned && !strict }
        if !warned.isEmpty {
            print("\nWarnings (should checks; the run still passes, unless --strict):")
            for r in warned { print(ConsoleReport.details(r, file: files[r.name], trace: trace) + "\n") }
        }
        if let misses = ConsoleReport.notSimulated(results) { print("\n" + misses + "\n") }
        print(ConsoleReport.summary(results, seconds: seconds))
        if let junit { try write(JUnitReport.xml(results, seconds: seconds, strict: strict, xpassFails: failOnXpass), to: junit) }
        if let json { try write(JSONReport.data(results, client: shellCommand, seconds: seconds), to: json) }
        let summaryText = MarkdownReport.text(results, client: shellCommand, seconds: seconds, strict: strict, xpassFails: failOnXpass)
        if let markdown { try write(Data(summaryText.utf8), to: markdown) }
        if let step = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !step.isEmpty {
            // GitHub collects what every step appends to this file.
            if let handle = FileHandle(forWritingAtPath: step) ?? (FileManager.default.createFile(atPath: step, contents: nil) ? FileHandle(forWritingAtPath: step) : nil) {
                handle.seekToEndOfFile()
                handle.write(Data(summaryText.utf8))
                try? handle.close()
            } else {
                FileHandle.standardError.write(Data("warning: cannot append the summary to $GITHUB_STEP_SUMMARY (\(step))\n".utf8))
            }
        }
        let tally = ConsoleReport.Tally(results)
        if tally.ran == 0 {
            print("No scenario ran (all were skipped): that is not a pass.")
            throw ExitCode(1)
        }
        if results.contains(where: { $0.outcome.failsRun(strict: strict, xpassFails: failOnXpass) }) {
            if failOnXpass, results.contains(where: { $0.outcome == .unexpectedPass }) {
                print("An unexpected pass fails the run (--fail-on-xpass): take the scenario off --known-failing.")
            }
            throw ExitCode(1)
        }
    }

    private func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    private func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path))
            print("Wrote \(path)")
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Patterns one per line; blank lines and `#` comments ignored.
    static func readPatterns(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read --known-failing file \(path)")
        }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let p = content.trimmingCharacters(in: .whitespaces)
            return p.isEmpty ? nil : p
        }
    }
}

/// Prints result lines in scenario order as soon as every earlier one is in,
/// with a progress count on stderr when it is a terminal.
final class OrderedPrinter: @unchecked Sendable {
    private let total: Int
    private var pending: [Int: ScenarioResult] = [:]
    private var next = 0
    private var done = 0
    private var failed = 0
    private let strict: Bool
    private let xpassFails: Bool
    private let tty = isatty(STDERR_FILENO) == 1

    init(total: Int, strict: Bool, xpassFails: Bool) {
        self.total = total
        self.strict = strict
        self.xpassFails = xpassFails
    }

    /// Called one at a time (SuiteRunner serialises progress calls).
    func add(_ index: Int, _ result: ScenarioResult) {
        pending[index] = result
        done += 1
        if result.outcome.failsRun(strict: strict, xpassFails: xpassFails) { failed += 1 }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        while let r = pending.removeValue(forKey: next) {
            print(ConsoleReport.line(r))
            next += 1
        }
        fflush(nil)
        if tty && done < total {
            FileHandle.standardError.write(Data("  [\(done)/\(total) done, \(failed) failed]".utf8))
        }
    }

    func finish() {
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// `--jobs`: a count from 1 to 64, or `auto`.
enum Jobs: Equatable {
    case count(Int)
    case auto

    static func parse(_ argument: String) throws -> Jobs {
        if argument.lowercased() == "auto" { return .auto }
        guard let n = Int(argument), (1...64).contains(n) else {
            throw ValidationError("--jobs must be a number from 1 to 64, or auto (got '\(argument)')")
        }
        return .count(n)
    }

    var parallelism: Parallelism {
        switch self {
        case .count(let n): return .fixed(n)
        case .auto: return .automatic
        }
    }
}
