import ArgumentParser
import Foundation
import Logging
import MicroHTTP
import MockNode
import ScenarioKit

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a mock node until Ctrl-C.",
        discussion: """
        Without --config the node serves a built-in set:
          meet       no PIN, everyone joins as host
          secure     host PIN 1234, guest PIN 5678
          hostpin    host PIN 1234, guests join without a PIN (pin: none)
          reception  a Virtual Reception; answer its prompt with meet, secure or hostpin

        A conference file (YAML) replaces the set; see docs/node.md for every setting:
          conferences:
            - alias: team
              host_pin: "1234"
              expires: 60

        Examples:
          mockmcu serve
          mockmcu serve --port 9000 --config conferences.yaml
          mockmcu serve --host 0.0.0.0 --manual-clock   # advance time via POST /_mock/clock/advance
          mockmcu serve --tls-cert cert.pem --tls-key key.pem --basic-auth gate:keeper
        """
    )

    @Option(help: "Address to listen on (numeric IPv4/IPv6, or localhost).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: UInt16 = 8080

    @Option(name: .customLong("config"), help: "Conference file (YAML) replacing the built-in set.")
    var configFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Journal entries kept (0 = all); GET /_mock/journal reads them.")
    var journalLimit = 100_000

    @Option(help: "Megabytes the journal keeps at most (0 = no bound); the oldest entries go first. Bodies over 16 KiB are cut and marked.")
    var journalMegabytes = 256

    @Option(help: ArgumentHelp("Bytes libmicrohttpd may use per connection (headers and buffers).",
                               discussion: "6144 holds request headers up to about 2.5 KB; larger headers get 431 Request Header Fields Too Large (raise this if a browser sends big cookies). Lower saves memory with many event streams."))
    var connectionMemory = 6144

    @Option(help: "Worker threads serving connections (the default is one per core).")
    var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: ArgumentHelp("Demand HTTP Basic credentials user:password on the client API, as a reverse proxy would (401).", valueName: "user:password"))
    var basicAuth: String?

    @Option(help: "Serve HTTPS with this certificate (PEM); needs --tls-key.")
    var tlsCert: String?

    @Option(help: "The private key (PEM) for --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Freeze token time; move it with POST /_mock/clock/advance {\"seconds\": N}.")
    var manualClock = false

    func validate() throws {
        if let basicAuth, !basicAuth.contains(":") { throw ValidationError("--basic-auth takes user:password") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard connectionMemory >= 2048 else { throw ValidationError("--connection-memory must be at least 2048") }
        guard (0...1_048_576).contains(journalMegabytes) else { throw ValidationError("--journal-megabytes must be 0 (no bound) to 1048576") }
        guard journalLimit >= 0 else { throw ValidationError("--journal-limit must be 0 (all) or more") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of: trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() throws {
        ShutdownSignals.block()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let conferences: [ConferenceConfig]
        do {
            conferences = try configFile.map { try ConferenceFile.load(path: $0) } ?? ConferenceConfig.builtins
        } catch {
            throw ValidationError("\(error)")
        }
        var config = MockNode.Configuration(conferences: conferences)
        config.http.host = host
        config.http.port = port
        config.http.connectionMemoryLimit = connectionMemory
        config.http.threads = threads
        if let tlsCert, let tlsKey {
            guard let cert = try? String(contentsOfFile: tlsCert, encoding: .utf8),
                  let key = try? String(contentsOfFile: tlsKey, encoding: .utf8) else {
                throw ValidationError("cannot read \(tlsCert) or \(tlsKey)")
            }
            config.http.tls = TLSIdentity(certificatePEM: cert, privateKeyPEM: key)
        }
        if let basicAuth, let colon = basicAuth.firstIndex(of: ":") {
            config.proxyAuth = ProxyAuth(username: String(basicAuth[..<colon]),
                                         password: String(basicAuth[basicAuth.index(after: colon)...]))
        }
        config.journalLimit = journalLimit
        config.journalByteLimit = journalMegabytes << 20
        config.logger = Logger(label: "mockmcu")
        if manualClock { config.clock = ManualClock() }
        let node = try MockNode(config)
        do {
            try node.start()
        } catch {
            throw ValidationError("\(error)")
        }
        let base = node.baseURL
        var banner = "MockMCU node listening on \(base)\n"
        banner += "  client API:  \(base)/api/client/v2/conferences/<alias>/request_token\n"
        banner += "  control API: \(base)/_mock  (journal: \(base)/_mock/journal)\n"
        banner += "Conferences:\n"
        for c in conferences { banner += "  \(c.summary)\n" }
        if manualClock { banner += "Token time is frozen: POST \(base)/_mock/clock/advance {\"seconds\": N}\n" }
        banner += "Ctrl-C stops the node.\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        let signal = ShutdownSignals.wait()
        config.logger.notice("signal \(signal): stopping")
        node.stop()
        FileHandle.standardOutput.write(Data("stopped\n".utf8))
    }
}

struct CheckConferences: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-conferences",
        abstract: "Validate a conference file; errors name the line.",
        discussion: "Exit status 0 when the file is valid, 1 otherwise. Example: mockmcu check-conferences conferences.yaml"
    )

    @Argument(help: "The conference file (YAML).")
    var file: String

    func run() throws {
        do {
            let conferences = try ConferenceFile.load(path: file)
            var out = "\(file): \(conferences.count) conference(s) OK\n"
            for c in conferences { out += "  \(c.summary)\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
