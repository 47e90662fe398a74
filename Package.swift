// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MockMCU",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MicroHTTP", targets: ["MicroHTTP"]),
        .library(name: "PexipWire", targets: ["PexipWire"]),
        .library(name: "MockNode", targets: ["MockNode"]),
        .library(name: "MockNodeTesting", targets: ["MockNodeTesting"]),
        .library(name: "PexipClient", targets: ["PexipClient"]),
        .library(name: "PexipClientNIO", targets: ["PexipClientNIO"]),
        .executable(name: "mockmcu", targets: ["mockmcu"]),
        .executable(name: "pexip-client", targets: ["pexip-client"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Only for PexipClientNIO: HTTPS with a given CA on Linux, where URLSession takes no trust roots.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .target(
            name: "MicroHTTP",
            dependencies: ["CMicroHTTPD", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PexipWire"),
        .target(
            name: "MockNode",
            dependencies: [
                "MicroHTTP", "PexipWire",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // For people embedding the node in their own tests: a scoped running node, a typed wire client.
        .target(name: "MockNodeTesting", dependencies: ["MockNode", "MicroHTTP", "PexipWire"]),
        .target(name: "CUDPExchange"),
        .target(name: "PexipClient", dependencies: ["PexipWire", "CUDPExchange"]),
        .target(
            name: "PexipClientNIO",
            dependencies: [
                "PexipClient", "PexipWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(name: "PexipDriver", dependencies: ["PexipClient", "PexipClientNIO", "PexipWire"]),
        .executableTarget(
            name: "pexip-client",
            dependencies: [
                "PexipClient", "PexipClientNIO", "PexipWire", "PexipDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ScenarioKit",
            dependencies: ["MockNode", "PexipWire", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Conformance",
            dependencies: ["ScenarioKit", "MockNode", "MicroHTTP", "PexipWire", .product(name: "Logging", package: "swift-log")]
        ),
        // A libFuzzer target when built by Scripts/fuzz.sh; otherwise a tool replaying inputs.
        .executableTarget(
            name: "mockmcu-fuzz",
            dependencies: ["MockNode", "MicroHTTP", "PexipWire", "ScenarioKit"]
        ),
        .executableTarget(
            name: "mockmcu",
            dependencies: [
                "MockNode", "MicroHTTP", "PexipWire", "ScenarioKit", "Conformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "MicroHTTPTests", dependencies: ["MicroHTTP", "MockNodeTesting"]),
        .testTarget(
            name: "PexipWireTests",
            dependencies: ["PexipWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ScenarioKitTests", dependencies: ["ScenarioKit", "MockNode", "PexipWire"]),
        .testTarget(name: "MockNodeTests", dependencies: ["MockNode", "MockNodeTesting", "MicroHTTP", "PexipWire"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CLITests", dependencies: ["mockmcu", "mockmcu-fuzz", "pexip-client", "MockNode", "ScenarioKit", "MicroHTTP", "PexipWire", "TestSupport"]),
        // A deliberately broken client (the reference client with bugs switched on) for the scenarios' tests.
        .executableTarget(
            name: "broken-client",
            dependencies: ["PexipDriver", "PexipClient", "PexipWire"],
            path: "Tests/BrokenClient"
        ),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["Conformance", "ScenarioKit", "PexipWire", "MockNode", "pexip-client", "broken-client", "TestSupport"]
        ),
        .testTarget(name: "PexipClientTests", dependencies: ["PexipClient", "PexipClientNIO", "PexipWire", "MockNode", "MockNodeTesting"]),
        .testTarget(name: "PexipClientNIOTests", dependencies: ["PexipClientNIO", "PexipClient", "MockNode", "MockNodeTesting", "MicroHTTP"]),
    ],
    swiftLanguageModes: [.v6]
)
