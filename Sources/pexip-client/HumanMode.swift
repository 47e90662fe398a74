import Foundation
import PexipClient
import PexipDriver
import PexipWire

/// Joining from a terminal: prompts on stderr/stdin, chat on stdout.
struct HumanMode {
    enum Target {
        case node(URL, String)
        case address(String, dns: String?)
    }

    let target: Target
    let name: String
    let pin: String?
    let transport: (any PexipTransport)?
    /// After a `refer`: the one-time token for the new alias.
    var oneTimeToken: String? = nil

    func run() async -> Int32 {
        var options = JoinOptions(displayName: name, pin: pin)
        options.transport = transport
        options.oneTimeToken = oneTimeToken
        options.pinPrompt = { prompt in
            let hint = prompt.guestPINRequired ? "PIN" : "host PIN (empty to join as a guest)"
            FileHandle.standardError.write(Data("\(hint): ".utf8))
            return readLine() ?? nil
        }
        options.extensionPrompt = {
            FileHandle.standardError.write(Data("conference extension: ".utf8))
            return readLine()
        }
        options.ssoPrompt = { prompt in
            switch prompt {
            case .chooseProvider(let list):
                let menu = list.enumerated().map { "  \($0.offset + 1). \($0.element.name)" }.joined(separator: "\n")
                FileHandle.standardError.write(Data("sign in with which identity provider?\n\(menu)\nnumber: ".utf8))
                guard let line = readLine(), let n = Int(line.trimmingCharacters(in: .whitespaces)), list.indices.contains(n - 1) else {
                    return nil
                }
                return list[n - 1].uuid
            case .signIn(let url, let provider):
                FileHandle.standardError.write(Data("sign in at \(provider.name): open \(url)\nthen paste the sso_token it shows: ".utf8))
                return readLine()?.trimmingCharacters(in: .whitespaces)
            }
        }
        let session: PexipSession
        do {
            switch target {
            case .node(let node, let conference):
                session = try await PexipSession.join(node: node, conference: conference, options: options)
            case .address(let address, let dns):
                session = try await PexipSession.join(address: address, resolver: try NodeResolver(server: dns), options: options)
            }
        } catch {
            log("could not join: \(error)")
            return 1
        }
        print("joined \(session.alias) as \(session.displayName) (\(session.role.rawValue)); type to chat, Ctrl-D to leave")
        let typing = Task {
            for await line in stdinLines() where !line.isEmpty {
                do { try await session.send(message: line) } catch { log("not sent: \(error)") }
            }
            await session.leave()
        }
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT)
        signal(SIGINT, SIG_IGN)
        interrupt.setEventHandler { Task { await session.leave() } }
        interrupt.resume()
        defer { typing.cancel(); interrupt.cancel() }
        for await event in session.events {
            switch event {
            case .roster(let people):
                print("in the conference: " + people.map { "\($0.displayName) (\($0.role.rawValue))" }.joined(separator: ", "))
            case .message(let m):
                print("\(m.origin): \(m.payload)")
            case .reconnected:
                print("(reconnected)")
            case .disconnected(let reason):
                print("disconnected: \(reason)")
                return 0
            case .failed(let error):
                print("failed: \(error)")
                return 1
            case .left:
                print("left")
                return 0
            case .referred(let alias, let token):
                print("moved to \(alias)")
                typing.cancel()
                return await HumanMode(target: .node(session.node, alias), name: name, pin: nil, transport: transport,
                                       oneTimeToken: token).run()
            default:
                continue
            }
        }
        return 0
    }
}
