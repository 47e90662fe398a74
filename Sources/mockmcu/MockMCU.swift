import ArgumentParser
import Foundation
import ScenarioKit

@main
struct MockMCU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mockmcu",
        abstract: "A fake Pexip Infinity worker node for testing clients of its client REST API.",
        discussion: """
        Start a node for offline development with `mockmcu serve`, then point your client at the \
        URL it prints. The node speaks /api/client/v2 like a real Conferencing Node and is \
        scripted through its control API under /_mock/ (GET /_mock lists it).
        """,
        version: SuiteVersion.current,
        subcommands: [Serve.self, Run.self, List.self, Check.self, CheckConferences.self]
    )

    /// As ArgumentParser's, except that usage errors exit 2 (as the runner's contract says), not 64.
    static func main() {
        // A mistyped command: say so, suggest one, and point at the top-level help.
        let commands = configuration.subcommands.map { $0._commandName }
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"), !commands.contains(first), first != "help" {
            let near = YAMLDocument.nearest(first, among: commands).map { " (did you mean '\($0)'?)" } ?? ""
            FileHandle.standardError.write(Data(("Error: unknown command '\(first)'\(near); commands: "
                + commands.joined(separator: ", ") + "\n(see 'mockmcu --help')\n").utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                let name = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? ""
                let hint = "see 'mockmcu \(name.isEmpty ? "" : name + " ")--help'"
                FileHandle.standardError.write(Data(("Error: \(message(for: error))\n(\(hint))\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
