extension ConferenceConfig {
    /// What `mockmcu serve` serves without a conference file:
    /// `meet` (no PIN, everyone is a host), `secure` (host PIN 1234, guest PIN
    /// 5678), `hostpin` (host PIN 1234, guests join without one) and
    /// `reception` (a Virtual Reception; the extension is one of the others' alias).
    public static let builtins: [ConferenceConfig] = [
        ConferenceConfig(alias: "meet", name: "Meet"),
        ConferenceConfig(alias: "secure", name: "Secure", hostPIN: "1234", guestPIN: "5678"),
        ConferenceConfig(alias: "hostpin", name: "Host PIN", hostPIN: "1234", allowGuests: true),
        ConferenceConfig(alias: "reception", name: "Reception", type: .reception, targets: ["meet", "secure", "hostpin"]),
    ]

    /// One line for people: alias, then how to get in.
    public var summary: String {
        switch (type, hostPIN, guestPIN) {
        case (.reception, _, _):
            let t = targets.isEmpty ? "any conference alias" : targets.joined(separator: ", ")
            return "\(alias): Virtual Reception (extension: \(t))"
        case (_, nil, _):
            return "\(alias): no PIN, everyone joins as host"
        case (_, let host?, let guest?):
            return "\(alias): host PIN \(host), guest PIN \(guest)"
        case (_, let host?, nil):
            return allowGuests ? "\(alias): host PIN \(host), guests join without a PIN (pin: none)"
                : "\(alias): PIN \(host), everyone joins as host"
        }
    }
}
