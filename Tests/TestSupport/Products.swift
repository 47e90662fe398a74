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

    /// The shipped Python adapter, `Examples/python-adapter/adapter.py`.
    public static var pythonAdapter: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/python-adapter/adapter.py").standardized.path
    }

    /// Runs a built program to its end; returns its status and output.
    public static func run(_ program: String, _ args: [String], directory: String? = nil,
                           environment: [String: String] = [:]) throws
        -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = url(program)
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes at once, so that neither can fill up and stall the program.
        let errBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
