import Foundation
import PexipWire

/// `request_token` with the PIN, Virtual Reception and single sign-on prompts.
struct JoinFlow {
    let node: NodeClient
    let alias: String
    let options: JoinOptions

    func run() async throws -> RequestTokenResult {
        var pin = options.pin
        var ext = options.conferenceExtension
        var chosenIDP: String?
        var ssoToken: String?
        for _ in 0..<8 {
            try Task.checkCancellation()
            var headers: [String: String] = [:]
            if let pin {
                let trimmed = pin.trimmingCharacters(in: .whitespaces)
                headers["pin"] = trimmed.isEmpty ? "none" : trimmed
            }
            var body = RequestTokenRequest(displayName: options.displayName, conferenceExtension: ext,
                                           token: options.oneTimeToken)
            body.chosenIDP = chosenIDP
            body.ssoToken = ssoToken
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
                } else if let redirect = data.result(SSORedirect.self) {
                    // Sign in at the provider; an sso_token already sent and not taken is an error answer, not this.
                    if ssoToken != nil { throw PexipClientError.forbidden("the node asked to sign in again") }
                    guard let prompt = options.ssoPrompt,
                          let token = await prompt(.signIn(url: redirect.redirectURL, provider: redirect.redirectIDP)),
                          !token.isEmpty else {
                        throw PexipClientError.ssoRequired
                    }
                    chosenIDP = redirect.redirectIDP.uuid
                    ssoToken = token
                } else if let challenge = data.result(SSOChallenge.self) {
                    if chosenIDP != nil { throw PexipClientError.forbidden("the node asked again for an identity provider") }
                    guard !challenge.idp.isEmpty else {
                        throw PexipClientError.forbidden("single sign-on is required, but the node offers no identity provider")
                    }
                    guard let prompt = options.ssoPrompt, let uuid = await prompt(.chooseProvider(challenge.idp)), !uuid.isEmpty else {
                        throw PexipClientError.ssoRequired
                    }
                    chosenIDP = uuid
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
