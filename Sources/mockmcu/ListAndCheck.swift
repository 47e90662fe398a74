import ArgumentParser
import Conformance
import Foundation
import MockNode
import ScenarioKit

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the conformance scenarios with their summaries and features.",
        discussion: """
        Examples:
          mockmcu list
          mockmcu list --run expiry
          mockmcu list --features features.yaml   # marks what your client would skip
        """
    )

    @OptionGroup var options: ScenarioOptions

    func run() throws {
        let selection = try options.selection()
        let chosen = try options.choose(try options.load(), selection)
        let width = min(48, chosen.map(\.name.count).max() ?? 0)
        for s in chosen {
            let missing = selection.missing(for: s)
            let features = s.features.isEmpty ? "" : "  [" + s.features.joined(separator: ", ") + "]"
            let skip = missing.isEmpty ? "" : "  (skipped: needs \(missing.joined(separator: ", ")))"
            print(s.name.padding(toLength: max(width, s.name.count), withPad: " ", startingAt: 0) + "  " + s.summary + features + skip)
        }
        print("\(chosen.count) scenario(s)")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate scenario files, reporting every problem with its line.",
        discussion: """
        Exit status 0 when every file is valid, 1 when any is not.

        Examples:
          mockmcu check
          mockmcu check --scenarios my-scenarios/
          mockmcu check Scenarios/pin/host-pin.yaml
        """
    )

    @Option(help: ArgumentHelp("The scenarios folder (default as for run).", valueName: "dir"))
    var scenarios: String?

    @Argument(help: ArgumentHelp("Single files to check instead of the folder.", valueName: "file"))
    var files: [String] = []

    func run() throws {
        var problems: [YAMLFileError] = []
        var count = 0
        if files.isEmpty {
            var options = try ScenarioOptions.parse([])
            options.scenarios = scenarios
            let result = ScenarioLoader.validate(directory: try options.directory())
            count = result.scenarios.count
            problems = result.problems
        } else {
            for file in files {
                do {
                    _ = try ScenarioLoader.load(path: file, name: ScenarioLoader.name(of: (file as NSString).lastPathComponent))
                    count += 1
                } catch let e as YAMLFileError {
                    problems.append(e)
                } catch let e as YAMLFileErrors {
                    problems += e.problems
                }
            }
        }
        for p in problems { print(p) }
        if problems.isEmpty {
            print("\(count) scenario(s) valid")
        } else {
            print("\(problems.count) problem(s) in \(Set(problems.map(\.file)).count) invalid file(s), \(count) valid")
            throw ExitCode(1)
        }
    }
}
