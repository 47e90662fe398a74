import Foundation
import MicroHTTP
import PexipWire

/// A client API request, classified once where it enters the node: what it
/// asks for, the token it carries and its bodies, decoded before the state
/// lock is taken. Routing and the handlers read this, not the path.
struct ClientRequest: Sendable {
    enum Target: Sendable {
        /// `GET /api/client/v2/status`.
        case status
        /// `…/conferences/<alias>/request_token`.
        case requestToken(alias: String)
        /// A request that needs a token, by its route.
        case routed(alias: String, ClientRoute)
        /// A request under a conference that the node does not simulate.
        case unknown(alias: String, name: String)
        /// Not under the client API at all.
        case outside
    }

    let http: HTTPRequest
    let target: Target
    /// The token the request carries: the `token` header, or `?token=` (PexRTC's event stream).
    let token: String?
    let bodies: PreparedRequest

    init(_ http: HTTPRequest) {
        self.http = http
        if http.path == APIPath.status || http.path == APIPath.status + "/" {
            target = .status
        } else if let (alias, name) = APIPath.parse(http.path) {
            if name == "request_token" {
                target = .requestToken(alias: alias)
            } else if let route = ClientRoute(name) {
                target = .routed(alias: alias, route)
            } else {
                target = .unknown(alias: alias, name: name)
            }
        } else {
            target = .outside
        }
        token = http.headers["token"] ?? http.queryValue("token")
        bodies = PreparedRequest(target, http)
    }
}
