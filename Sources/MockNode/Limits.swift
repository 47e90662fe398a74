/// The accepted range of a duration or count. Every place that takes one
/// (conference files, scenario files, the control API, the Swift API) checks it
/// against the same `Limits` entry, so they all accept and refuse alike and say
/// the same range in their errors.
package struct Limit: Sendable, Equatable {
    /// Smallest and largest accepted value.
    package let range: ClosedRange<Double>
    /// `seconds`, or empty for a count.
    package let unit: String
    /// Whether 0 is accepted below `range` (as "off"), e.g. `keepalive_interval: 0`.
    package let zeroMeansOff: Bool

    package init(_ range: ClosedRange<Double>, unit: String = "seconds", zeroMeansOff: Bool = false) {
        self.range = range
        self.unit = unit
        self.zeroMeansOff = zeroMeansOff
    }

    /// Whether `x` is accepted (never NaN or infinite).
    package func accepts(_ x: Double) -> Bool {
        x.isFinite && (range.contains(x) || (zeroMeansOff && x == 0))
    }

    /// "1 to 86400 seconds", "0 (off) or 0.1 to 3600 seconds".
    package var rangeText: String {
        let span = "\(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))" + (unit.isEmpty ? "" : " \(unit)")
        return zeroMeansOff ? "0 (off) or \(span)" : span
    }

    /// nil when accepted, else "`what` must be … (got …)".
    package func problem(_ x: Double, _ what: String) -> String? {
        accepts(x) ? nil : "\(what) must be \(rangeText) (got \(Self.text(x)))"
    }

    /// nil when accepted, else "`what` must be … (got …)".
    package func problem(_ x: Int, _ what: String) -> String? { problem(Double(x), what) }

    static func text(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "infinity" : "-infinity") }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

/// Every duration and count the node takes, with its accepted range.
package enum Limits {
    /// A token's lifetime (`expires`): one second to one day.
    package static let tokenLifetime = Limit(1...86_400)
    /// Extra time after expiry before the participant goes (`expiry_grace`).
    package static let expiryGrace = Limit(0...3_600)
    /// Between keep-alive comments on a stream (`keepalive_interval`); 0 = none.
    /// Below 0.01 s a node would spend its time writing comments.
    package static let keepaliveInterval = Limit(0.01...3_600, zeroMeansOff: true)
    /// Between a `disconnect` event and the cut of its stream (`disconnect_cut_delay`).
    package static let disconnectCutDelay = Limit(0...10)
    /// A fault's or a timeline step's `delay`.
    package static let delay = Limit(0...3_600)
    /// A point in a scenario's time (`at:`), a scenario's `deadline`, a check's time window.
    package static let scenarioTime = Limit(0...86_400)
    /// `POST /_mock/clock/advance` and `ManualClock.advance(by:)`: up to ten years at once.
    package static let clockAdvance = Limit(0...315_360_000)
    /// How many requests a fault applies to (0 = every one), a repeat count.
    package static let count = Limit(0...1_000_000, unit: "")
}
