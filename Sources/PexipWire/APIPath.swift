/// Paths of the client REST API.
public enum APIPath {
    /// `/api/client/v2`
    public static let base = "/api/client/v2"
    /// `/api/client/v2/status`
    public static let status = base + "/status"
    /// `/api/client/v2/conferences/`
    public static let conferencesPrefix = base + "/conferences/"
    private static let prefixLength = conferencesPrefix.utf8.count

    /// `/api/client/v2/conferences/<alias>/<request>` with the alias percent-encoded.
    public static func conference(_ alias: String, _ request: String) -> String {
        conferencesPrefix + encodeSegment(alias) + "/" + request
    }

    /// Splits a decoded request path into the conference alias and the request
    /// under it (`participants/<uuid>/mute`), or nil if it is not a conference path.
    public static func parse(_ path: String) -> (alias: String, request: String)? {
        guard path.hasPrefix(conferencesPrefix) else { return nil }
        // On the UTF-8 view: offsetting a String's own indices walks it character by character.
        let rest = path.utf8.dropFirst(prefixLength)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else {
            return rest.isEmpty ? nil : (String(Substring(rest)), "")
        }
        return (String(Substring(rest[..<slash])), String(Substring(rest[rest.index(after: slash)...])))
    }

    /// Percent-encodes a path segment as `encodeURIComponent` does.
    public static func encodeSegment(_ s: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()".utf8)
        var out = ""
        for byte in s.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
