/// How much a check's failure counts.
///
/// A scenario's verdict is FAIL when a `must` check failed, WARN when every
/// `must` passed and a `should` failed, PASS otherwise. `info` checks are
/// observations and never change the verdict.
public enum CheckLevel: String, Sendable, Codable, CaseIterable, Comparable {
    /// A client that fails it breaks on a real node, or breaks the conference for others.
    case must
    /// Recommended robustness (retry while the token lives, back off); a failure is a warning.
    case should
    /// An observation for the report.
    case info

    public static func < (a: CheckLevel, b: CheckLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension CheckKind {
    /// The level of the check when the scenario does not set one (docs/scenarios.md says why).
    public var defaultLevel: CheckLevel {
        switch self {
        case .refreshCadence, .reconnectBackoff: return .should
        default: return .must
        }
    }
}
