import Foundation
import PexipWire

/// `request_token` with the PIN and Virtual Reception prompts (§2.3, §2.4).
struct JoinFlow {
    let node: NodeClient
    let alias: String
    let options: JoinOptions

    func run() async throws -> RequestTokenResult {
        var pin = options.pin
        var ext = options.conferenceExtension
        for _ in 0..<8 {
            try Task.checkCancellation()
            var headers: [String: String] = [:]
            if let pin {
                let trimmed = pin.trimmingCharacters(in: .whitespaces)
                headers["pin"] = trimmed.isEmpty ? "none" : trimmed
            }
            let body = RequestTokenRequest(displayName: options.displayName, conferenceExtension: ext,
                                           token: options.oneTimeToken)
            let request = node.exchange(node.url(alias, "request_token"), method: "POST", headers: headers,
                                        body: Data(WireJSON.bytes(body)))
            let (status, data) = try await node.send(request)
            switch status {
            case 200:
                guard let result = data.result(RequestTokenResult.self) else {
                    throw PexipClientError.protocolError("request_token answer could not be read")
                }
                return result
            case 403:
                if let challenge = data.result(PinChallenge.self) {
                    // A PIN prompt in answer to a PIN means the PIN was wrong (as Pexip's SDKs read it).
                    if pin != nil { throw PexipClientError.invalidPIN }
                    guard let prompt = options.pinPrompt,
                          let answer = await prompt(PinPrompt(guestPINRequired: challenge.guestPINRequired)) else {
                        throw PexipClientError.pinRequired(guestPINRequired: challenge.guestPINRequired)
                    }
                    pin = answer
                } else if data.result(ExtensionChallenge.self) != nil {
                    if ext != nil { throw PexipClientError.notFound("conference extension '\(ext!)'") }
                    guard let prompt = options.extensionPrompt, let answer = await prompt(), !answer.isEmpty else {
                        throw PexipClientError.extensionRequired
                    }
                    ext = answer
                } else {
                    let message = data.result(String.self) ?? "HTTP 403"
                    if message == WireMessage.invalidPIN || pin != nil { throw PexipClientError.invalidPIN }
                    throw PexipClientError.forbidden(message)
                }
            case 404:
                if let ext { throw PexipClientError.notFound("conference extension '\(ext)'") }
                throw PexipClientError.notFound(data.result(String.self) ?? "conference '\(alias)'")
            case 401, 407:
                // A proxy in front of the node (the node itself signals a bad token with 403).
                throw PexipClientError.proxyAuthenticationRequired
            case 502, 503, 504:
                throw PexipClientError.unreachable("request_token answered HTTP \(status)")
            default:
                throw PexipClientError.protocolError("request_token answered HTTP \(status)")
            }
        }
        throw PexipClientError.protocolError("the node kept prompting")
    }
}
