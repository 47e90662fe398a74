import ArgumentParser
import Foundation
import PexipClient
import PexipClientNIO
import PexipDriver
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

    @Argument(help: "conference@domain: the node is found by DNS SRV (_pexapp._tcp.domain), else the domain's address.")
    var address: String?

    @Option(help: "DNS server for discovery, address[:port] (default: the system's).")
    var dns: String?

    @Option(help: "The node's base URL, e.g. http://127.0.0.1:8080.")
    var node: String?

    @Option(help: "The conference alias to dial.")
    var conference: String?

    @Option(help: "Your display name.")
    var name = "pexip-client"

    @Option(help: "A PIN to send up front (otherwise you are asked if one is needed).")
    var pin: String?

    @Option(help: "Trust this CA certificate (PEM file) for an HTTPS node, e.g. a self-signed test node.")
    var caFile: String?

    func validate() throws {
        if driver { return }
        if let address {
            guard address.contains("@") else { throw ValidationError("'\(address)' is not conference@domain") }
            return
        }
        guard node != nil, conference != nil else {
            throw ValidationError("give conference@domain, or --node URL and --conference ALIAS")
        }
    }

    func run() async throws {
        if driver {
            let status = await Driver().run()
            throw ExitCode(status)
        }
        let target: HumanMode.Target
        if let address {
            target = .address(address, dns: dns)
        } else {
            guard let url = URL(string: node!), url.scheme != nil else { throw ValidationError("--node must be a URL like http://127.0.0.1:8080") }
            target = .node(url, conference!)
        }
        var pem: String?
        if let caFile {
            guard let text = try? String(contentsOfFile: caFile, encoding: .utf8) else {
                throw ValidationError("cannot read \(caFile)")
            }
            pem = text
        }
        // NIO, as in driver mode: URLSession streams keep a core busy on Linux.
        let transport = try NIOTransport(trustedCAPEM: pem)
        let status = await HumanMode(target: target, name: name, pin: pin, transport: transport).run()
        await transport.shutdown()
        throw ExitCode(status)
    }
}
