// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "hitch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hitch", targets: ["hitch"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Kinds, field schemas, validation and domain errors. No I/O.
        .target(
            name: "HitchDomain",
            swiftSettings: swiftSettings
        ),
        // Key-encryption keys, the keyring, sealing and opening secrets.
        .target(
            name: "HitchSecrets",
            dependencies: [
                "HitchDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // One SQL layer over SQLite and PostgreSQL: migrations and repositories.
        .target(
            name: "HitchStorage",
            dependencies: [
                "HitchDomain",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The hash-chained audit log: appending inside a change's transaction, and verification.
        .target(
            name: "HitchAudit",
            dependencies: [
                "HitchSecrets", "HitchStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // One folder per platform: Test Connection in stages on each platform's own wire protocol.
        .target(
            name: "HitchPlatforms",
            dependencies: [
                "HitchDomain", "HitchSecrets",
                // Brings NIO, NIOSSL and NIOHTTP1, on which the platforms' HTTPS connections are built.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Code generated from openapi.yaml: types, server protocol and client.
        .target(
            name: "HitchAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
            ],
            // The generator writes `package import` lines that Swift 6.3 reports as unused.
            swiftSettings: swiftSettings + [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // openapi.yaml itself, served at /openapi.yaml; HitchAPI's copy is a link to it.
        .target(
            name: "HitchAPIDocument",
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // Services by capability (connections, tests, rotation, leases, jobs, identity, audit, keys, watching), the
        // server's configuration and its start-up: everything the API and the dashboard do goes through them.
        .target(
            name: "HitchServices",
            dependencies: [
                "HitchDomain", "HitchSecrets", "HitchStorage", "HitchAudit", "HitchPlatforms",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API: the OpenAPI handlers, authentication and the access gate as middleware, TLS serving, /metrics.
        .target(
            name: "HitchHTTP",
            dependencies: [
                "HitchDomain", "HitchSecrets", "HitchStorage", "HitchAudit", "HitchPlatforms", "HitchAPI", "HitchServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                // NIOSSL, for serving TLS with a certificate that a SIGHUP reloads.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web dashboard: pages rendered from the API's own operations.
        .target(
            name: "HitchDashboard",
            dependencies: [
                "HitchDomain", "HitchSecrets", "HitchAPI", "HitchServices", "HitchHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The dashboard's templates, style sheet and script, served by the same server.
            resources: [.copy("Assets")],
            swiftSettings: swiftSettings
        ),
        // The application: builds the router from the API, the dashboard and the probes, and runs it.
        .target(
            name: "HitchServer",
            dependencies: [
                "HitchServices", "HitchHTTP", "HitchDashboard", "HitchAPI", "HitchAPIDocument",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The commands of the `hitch` executable and the API client they use.
        .target(
            name: "HitchCLI",
            dependencies: [
                "HitchDomain", "HitchAPI", "HitchServer", "HitchServices", "HitchPlatforms",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hitch",
            dependencies: ["HitchCLI"],
            swiftSettings: swiftSettings
        ),
        // Benchmark helpers (scripts/bench-audit); not part of the product.
        .executableTarget(
            name: "HitchBench",
            dependencies: [
                "HitchAudit", "HitchDomain", "HitchPlatforms", "HitchServer", "HitchServices", "HitchStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HitchTests",
            dependencies: [
                "HitchDomain", "HitchSecrets", "HitchStorage", "HitchAudit", "HitchServer", "HitchServices", "HitchHTTP",
                "HitchDashboard", "HitchAPI", "HitchAPIDocument", "HitchCLI", "HitchPlatforms",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Platforms/Vectors")],
            swiftSettings: swiftSettings
        ),
    ]
)
