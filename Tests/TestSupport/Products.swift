import Foundation

/// The built programs under test: beside the test bundle in .build/<config>/.
enum Products {
    private final class Marker {}

    static func url(_ name: String) -> URL {
        var dir = Bundle(for: Marker.self).bundleURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) {
            dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug")
        }
        return dir.appendingPathComponent(name)
    }
}
