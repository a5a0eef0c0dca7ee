// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: PodlabModel <- Store/API <- PodlabCLI <- podlab (see shared STYLE.md §1).
let package = Package(
    name: "podlab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podlab", targets: ["podlab"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Pure: objects, decoding, validation, patches, selectors, Tables, controllers. No syscalls.
        .target(
            name: "PodlabModel",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Objects, resourceVersions, watches, persistence.
        .target(
            name: "PodlabStore",
            dependencies: ["PodlabModel"]
        ),
        // The Kubernetes REST surface on SwiftNIO (TLS, discovery, CRUD, watch).
        .target(
            name: "PodlabAPI",
            dependencies: [
                "PodlabModel", "PodlabStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // System libraries and the few C wrappers Swift cannot import (setns, unshare, mount, ptys).
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0"),
        .systemLibrary(name: "CCap", pkgConfig: "libcap"),
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables"),
        .target(name: "CPodlabShim"),
        // Privileged: namespaces, links, addresses, routes, sysctls. Applies what the model computed.
        .target(
            name: "PodlabNet",
            dependencies: [
                "PodlabModel", "CNetlink", "CCap", "CNftables", "CPodlabShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Built-in pod responders (nginx page, httpenv, whoami, hello server and fetcher).
        .target(
            name: "PodlabApps",
            dependencies: [
                "PodlabModel", "PodlabDNS", "PodlabAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Cluster DNS as CoreDNS answers it: the wire codec and the records, pure (no sockets).
        .target(
            name: "PodlabDNS",
            dependencies: ["PodlabModel"]
        ),
        // Labs: the lab.yaml format, the runner and its checks on real outcomes, the TAP/JUnit reports.
        .target(
            name: "PodlabLabs",
            dependencies: ["PodlabModel", .product(name: "Yams", package: "Yams")]
        ),
        // ArgumentParser commands and the daemon's wiring (a library, so tests can call it).
        .target(
            name: "PodlabCLI",
            dependencies: [
                "PodlabModel", "PodlabStore", "PodlabAPI", "PodlabNet", "PodlabApps", "PodlabDNS", "PodlabLabs", "CPodlabShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "podlab", dependencies: ["PodlabCLI"]),
        .executableTarget(
            name: "PodlabBench",
            dependencies: ["PodlabStore", "PodlabModel", "PodlabApps", "PodlabNet", "PodlabDNS"]),
        .testTarget(name: "PodlabModelTests", dependencies: ["PodlabModel"]),
        .testTarget(name: "PodlabStoreTests", dependencies: ["PodlabStore"]),
        .testTarget(name: "PodlabAPITests", dependencies: ["PodlabAPI", "PodlabCLI"]),
        .testTarget(name: "PodlabNetTests", dependencies: ["PodlabNet"]),
        .testTarget(name: "PodlabAppsTests", dependencies: ["PodlabApps"]),
        .testTarget(name: "PodlabDNSTests", dependencies: ["PodlabDNS"]),
        .testTarget(name: "PodlabLabsTests", dependencies: ["PodlabLabs"]),
        .testTarget(name: "PodlabIntegrationTests", dependencies: ["PodlabCLI"]),
    ],
    swiftLanguageModes: [.v6]
)

