import Foundation

extension TLSIdentity {
    /// A fresh self-signed certificate and key for `address` (an IP address,
    /// e.g. 127.0.0.1), valid for `days`, made with the `openssl` command:
    /// for tests that serve HTTPS and trust exactly this certificate.
    /// Call it from synchronous code (child processes started from async
    /// tests have hung with swift-corelibs-foundation).
    public static func selfSigned(address: String = "127.0.0.1", days: Int = 1) throws -> TLSIdentity {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mockmcu-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("key.pem").path, cert = dir.appendingPathComponent("cert.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(days),
                             "-subj", "/CN=\(address)", "-addext", "subjectAltName=IP:\(address)",
                             "-keyout", key, "-out", cert]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else {
            throw HTTPServerError("openssl could not make a certificate (is it installed? Scripts/setup.sh installs it)")
        }
        return TLSIdentity(certificatePEM: try String(contentsOfFile: cert, encoding: .utf8),
                           privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8))
    }
}
