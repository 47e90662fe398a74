import Foundation

/// The package's built programs and folders, for tests that run them: the
/// programs sit beside the test bundle in .build/<config>/.
public enum Products {
    private final class Marker {}

    public static func url(_ name: String) -> URL {
        var dir = Bundle(for: Marker.self).bundleURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) {
            dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug")
        }
        return dir.appendingPathComponent(name)
    }

    /// `'path/pexip-client' --driver`.
    public static var referenceClient: String { "'\(url("pexip-client").path)' --driver" }

    /// The broken client (Tests/BrokenClient) with these bugs.
    public static func brokenClient(_ bugs: String...) -> String {
        "'\(url("broken-client").path)'" + bugs.map { " --bug \($0)" }.joined()
    }

    /// The checkout's Scenarios folder.
    public static var scenarios: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scenarios").standardized.path
    }
}
