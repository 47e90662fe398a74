import ArgumentParser
import Foundation
import PexipClient
import PexipWire

@main
struct PexipClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pexip-client",
        abstract: "The reference Pexip Infinity client: join a conference as an API participant.",
        discussion: """
        Human mode joins, asks for a PIN on the terminal if needed, prints roster changes and chat, \
        sends each line you type as chat, and leaves on Ctrl-C or end of input:
          pexip-client --node http://127.0.0.1:8080 --conference meet --name Alice

        Driver mode speaks the client driver protocol v1 (JSON Lines on stdin/stdout, logs on \
        stderr) for `mockmcu run`; see docs/driver-protocol.md:
          pexip-client --driver
        """
    )

    @Flag(help: "Speak the client driver protocol v1 on stdin/stdout.")
    var driver = false

    @Argument(help: "conference@domain (discovery by DNS SRV is not supported yet: use --node and --conference).")
    var address: String?

    @Option(help: "The node's base URL, e.g. http://127.0.0.1:8080.")
    var node: String?

    @Option(help: "The conference alias to dial.")
    var conference: String?

    @Option(help: "Your display name.")
    var name = "pexip-client"

    @Option(help: "A PIN to send up front (otherwise you are asked if one is needed).")
    var pin: String?

    func validate() throws {
        if driver { return }
        guard node != nil else {
            throw ValidationError("give --node URL and --conference ALIAS (DNS SRV discovery from conference@domain is not supported yet)")
        }
        guard conference != nil || address != nil else { throw ValidationError("give --conference ALIAS") }
    }

    func run() async throws {
        if driver {
            let status = await Driver().run()
            throw ExitCode(status)
        }
        let alias = conference ?? String(address!.split(separator: "@").first ?? "")
        let status = await HumanMode(node: URL(string: node!)!, conference: alias, name: name, pin: pin).run()
        throw ExitCode(status)
    }
}
