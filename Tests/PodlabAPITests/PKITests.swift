import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwiftASN1
import Testing
import X509

@testable import PodlabAPI

/// File helpers shared by the PKI and kubeconfig tests (namespaced: other suites share this test target).
enum PKITestFiles {
    /// A fresh empty directory under /tmp, removed by the caller.
    static func tempDir(_ tag: String) throws -> String {
        let path = NSTemporaryDirectory() + "podlab-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The permission bits of `path`.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    /// The openssl CLI, if installed (tests that use it are skipped otherwise).
    static let openssl = executable("openssl")
    /// The kubectl CLI, if installed (tests that use it are skipped otherwise).
    static let kubectl = executable("kubectl")

    private static func executable(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` with `arguments` (no network: only local files), returning its exit status and output.
    static func run(_ tool: String?, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(tool))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

private func ipSAN(_ ip: String) throws -> GeneralName {
    .ipAddress(ASN1OctetString(contentBytes: ArraySlice(try #require(ClusterPKI.ipAddressBytes(ip)))))
}

@Suite("ClusterPKI")
struct PKITests {
    @Test("first load creates a P-256 CA, a server cert with kube-apiserver's SANs and an admin client cert")
    func createsCertificates() throws {
        let dir = try PKITestFiles.tempDir("pki")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])

        let ca = try Certificate(pemEncoded: pki.caPEM)
        #expect(ca.subject.description == "CN=podlab-ca")
        #expect(ca.issuer == ca.subject)
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        let caUsage = try #require(try ca.extensions.keyUsage)
        #expect(caUsage.keyCertSign && caUsage.cRLSign)
        let caYears = ca.notValidAfter.timeIntervalSince(ca.notValidBefore) / (365 * 24 * 3600)
        #expect(caYears > 9.99 && caYears < 10.01)
        #expect(P256.Signing.PublicKey(ca.publicKey) != nil, "CA key is not P-256")

        let server = try Certificate(pemEncoded: pki.serverCertPEM)
        #expect(server.subject.description == "CN=kube-apiserver")
        #expect(server.issuer == ca.subject)
        #expect(ca.publicKey.isValidSignature(server.signature, for: server))
        #expect(try server.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try server.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        let sans = try #require(try server.extensions.subjectAlternativeNames)
        for dns in [
            "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ] {
            #expect(sans.contains(.dnsName(dns)), "missing DNS SAN \(dns)")
        }
        for ip in ["127.0.0.1", "10.96.0.1", "172.18.0.2"] {
            #expect(sans.contains(try ipSAN(ip)), "missing IP SAN \(ip)")
        }
        let serverDays = server.notValidAfter.timeIntervalSince(server.notValidBefore) / (24 * 3600)
        #expect(serverDays > 364 && serverDays < 366)

        let admin = try Certificate(pemEncoded: pki.adminCertPEM)
        // X509 prints RDNs last-first (RFC 4514), so O comes after CN here; openssl shows O first.
        #expect(admin.subject.description == "CN=kubernetes-admin,O=kubeadm:cluster-admins")
        #expect(ca.publicKey.isValidSignature(admin.signature, for: admin))
        #expect(try admin.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try admin.extensions.extendedKeyUsage?.contains(.serverAuth) == false)
    }

    @Test("key and certificate files are mode 0600 in a 0700 directory")
    func fileModes() throws {
        let parent = try PKITestFiles.tempDir("pki-modes")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = parent + "/state/pki"
        _ = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        #expect(try PKITestFiles.mode(dir) == 0o700)
        for name in ["ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "admin.crt", "admin.key"] {
            #expect(try PKITestFiles.mode(dir + "/" + name) == 0o600, "\(name)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("a later start loads the same certificates instead of making new ones")
    func reloadIsStable() throws {
        let dir = try PKITestFiles.tempDir("pki-reload")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])
        let second = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])
        #expect(second.caPEM == first.caPEM)
        #expect(second.serverCertPEM == first.serverCertPEM)
        #expect(second.serverKeyPEM == first.serverKeyPEM)
        #expect(second.adminCertPEM == first.adminCertPEM)
        #expect(second.adminKeyPEM == first.adminKeyPEM)
        // Asking for a subset of the stored IPs keeps the certificate too.
        let third = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        #expect(third.serverCertPEM == first.serverCertPEM)
    }

    @Test("load returns what loadOrCreate made, and names the missing file when there is none")
    func loadOnly() throws {
        let dir = try PKITestFiles.tempDir("pki-load")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = #expect(throws: PKIError.self) { try ClusterPKI.load(directory: dir) }
        #expect(missing?.path == dir + "/ca.crt")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let made = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])
        let loaded = try ClusterPKI.load(directory: dir)
        #expect(loaded.caPEM == made.caPEM)
        #expect(loaded.serverCertPEM == made.serverCertPEM)
        #expect(loaded.adminKeyPEM == made.adminKeyPEM)
        // A server cert from another CA is reported, not used.
        let otherDir = try PKITestFiles.tempDir("pki-load-other")
        defer { try? FileManager.default.removeItem(atPath: otherDir) }
        _ = try ClusterPKI.loadOrCreate(directory: otherDir, serverIPs: [])
        for name in ["apiserver.crt", "apiserver.key"] {
            try FileManager.default.removeItem(atPath: dir + "/" + name)
            try FileManager.default.copyItem(atPath: otherDir + "/" + name, toPath: dir + "/" + name)
        }
        let foreign = #expect(throws: PKIError.self) { try ClusterPKI.load(directory: dir) }
        #expect(foreign?.path == dir + "/apiserver.crt")
    }

    @Test("a newly requested IP reissues only the server certificate, keeping earlier IPs and the CA")
    func newIPReissuesServerCert() throws {
        let dir = try PKITestFiles.tempDir("pki-ip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])
        let second = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.3"])
        #expect(second.caPEM == first.caPEM)
        #expect(second.adminCertPEM == first.adminCertPEM)
        #expect(second.serverCertPEM != first.serverCertPEM)
        let sans = try #require(try Certificate(pemEncoded: second.serverCertPEM).extensions.subjectAlternativeNames)
        #expect(sans.contains(try ipSAN("172.18.0.3")))
        #expect(sans.contains(try ipSAN("172.18.0.2")))
    }

    @Test("a damaged server certificate is reissued from the stored CA")
    func damagedLeafIsReissued() throws {
        let dir = try PKITestFiles.tempDir("pki-leaf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try "garbage".write(toFile: dir + "/apiserver.crt", atomically: true, encoding: .utf8)
        let second = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        #expect(second.caPEM == first.caPEM)
        let server = try Certificate(pemEncoded: second.serverCertPEM)
        let ca = try Certificate(pemEncoded: second.caPEM)
        #expect(ca.publicKey.isValidSignature(server.signature, for: server))
    }

    @Test("a corrupt CA certificate is an error naming the file, and nothing is overwritten")
    func corruptCAIsAnError() throws {
        let dir = try PKITestFiles.tempDir("pki-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            .write(toFile: dir + "/ca.crt", atomically: true, encoding: .utf8)
        let keyBefore = try String(contentsOfFile: dir + "/ca.key", encoding: .utf8)
        let error = #expect(throws: PKIError.self) {
            try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        }
        #expect(error?.path == dir + "/ca.crt")
        #expect(error?.description.hasPrefix(dir + "/ca.crt: not a PEM certificate") == true)
        #expect(try String(contentsOfFile: dir + "/ca.key", encoding: .utf8) == keyBefore)
    }

    @Test("a CA key without its certificate is an error naming the missing file")
    func missingCACert() throws {
        let dir = try PKITestFiles.tempDir("pki-half")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try FileManager.default.removeItem(atPath: dir + "/ca.crt")
        let error = #expect(throws: PKIError.self) {
            try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        }
        #expect(error?.path == dir + "/ca.crt")
    }

    @Test("a CA key that belongs to another certificate is rejected")
    func mismatchedCAKey() throws {
        let dir = try PKITestFiles.tempDir("pki-mismatch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try P256.Signing.PrivateKey().pemRepresentation.write(
            toFile: dir + "/ca.key", atomically: true, encoding: .utf8)
        let error = #expect(throws: PKIError.self) {
            try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        }
        #expect(error?.path == dir + "/ca.key")
        #expect(error?.problem.contains("does not match") == true)
    }

    @Test("a server IP that is not an address is rejected before anything is issued")
    func badServerIP() throws {
        let dir = try PKITestFiles.tempDir("pki-badip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: PKIError.self) {
            try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["node-1"])
        }
    }

    @Test(
        "openssl accepts the chain: server cert for sslserver, admin cert for sslclient",
        .enabled(if: PKITestFiles.openssl != nil))
    func opensslVerifies() throws {
        let dir = try PKITestFiles.tempDir("pki-openssl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: ["172.18.0.2"])
        let server = try PKITestFiles.run(
            PKITestFiles.openssl,
            ["verify", "-purpose", "sslserver", "-CAfile", dir + "/ca.crt", dir + "/apiserver.crt"])
        #expect(server.status == 0, "\(server.output)")
        let admin = try PKITestFiles.run(
            PKITestFiles.openssl, ["verify", "-purpose", "sslclient", "-CAfile", dir + "/ca.crt", dir + "/admin.crt"])
        #expect(admin.status == 0, "\(admin.output)")
        // The admin cert must not pass as a server cert: its EKU is clientAuth only.
        let wrong = try PKITestFiles.run(
            PKITestFiles.openssl, ["verify", "-purpose", "sslserver", "-CAfile", dir + "/ca.crt", dir + "/admin.crt"])
        #expect(wrong.status != 0)
        let text = try PKITestFiles.run(
            PKITestFiles.openssl, ["x509", "-noout", "-text", "-in", dir + "/apiserver.crt"])
        #expect(text.output.contains("IP Address:10.96.0.1"))
        #expect(text.output.contains("DNS:kubernetes.default.svc.cluster.local"))
        #expect(text.output.contains("ASN1 OID: prime256v1"))
    }
}

// MARK: - TLS handshakes over loopback

@Suite("ClusterPKI TLS")
struct PKIHandshakeTests {
    @Test("a client presenting the admin certificate completes the handshake and gets its bytes echoed")
    func adminCertAccepted() async throws {
        let dir = try PKITestFiles.tempDir("tls-ok")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try await withEchoServer(try pki.serverTLSConfiguration()) { port in
            let reply = try await tlsRoundTrip(port: port, configuration: try pki.clientTLSConfiguration())
            #expect(reply == "ping")
            // The server cert is valid for the in-cluster name too.
            let named = try await tlsRoundTrip(
                port: port, configuration: try pki.clientTLSConfiguration(), serverHostname: "kubernetes.default.svc")
            #expect(named == "ping")
        }
    }

    @Test("a client without a certificate is refused")
    func noClientCertRefused() async throws {
        let dir = try PKITestFiles.tempDir("tls-nocert")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try await withEchoServer(try pki.serverTLSConfiguration()) { port in
            var config = try pki.clientTLSConfiguration()
            config.certificateChain = []
            config.privateKey = nil
            let reply = try? await tlsRoundTrip(port: port, configuration: config)
            #expect(reply != "ping")
        }
    }

    @Test("a client certificate from another CA is refused")
    func foreignClientCertRefused() async throws {
        let dir = try PKITestFiles.tempDir("tls-foreign")
        let otherDir = try PKITestFiles.tempDir("tls-other")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: otherDir)
        }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        let other = try ClusterPKI.loadOrCreate(directory: otherDir, serverIPs: [])
        try await withEchoServer(try pki.serverTLSConfiguration()) { port in
            var config = try other.clientTLSConfiguration()
            // Trust the real server, so only the client certificate can make this fail.
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
            let reply = try? await tlsRoundTrip(port: port, configuration: config)
            #expect(reply != "ping")
            // Control: the same client config with the right cert gets through.
            let good = try await tlsRoundTrip(port: port, configuration: try pki.clientTLSConfiguration())
            #expect(good == "ping")
        }
    }

    @Test("the client context refuses a server whose certificate comes from another CA")
    func clientVerifiesServer() async throws {
        let dir = try PKITestFiles.tempDir("tls-server")
        let otherDir = try PKITestFiles.tempDir("tls-server-other")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: otherDir)
        }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        let other = try ClusterPKI.loadOrCreate(directory: otherDir, serverIPs: [])
        try await withEchoServer(try other.serverTLSConfiguration()) { port in
            await #expect(throws: (any Error).self) {
                _ = try await tlsRoundTrip(port: port, configuration: try pki.clientTLSConfiguration())
            }
        }
    }

    @Test("the server refuses TLS 1.1")
    func refusesOldTLS() async throws {
        let dir = try PKITestFiles.tempDir("tls-old")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try ClusterPKI.loadOrCreate(directory: dir, serverIPs: [])
        try await withEchoServer(try pki.serverTLSConfiguration()) { port in
            var config = try pki.clientTLSConfiguration()
            config.minimumTLSVersion = .tlsv1
            config.maximumTLSVersion = .tlsv11
            let reply = try? await tlsRoundTrip(port: port, configuration: config)
            #expect(reply != "ping")
        }
        // Control: a server that allowed TLS 1.0+ would have accepted this very client.
        var lenient = try pki.serverTLSConfiguration()
        lenient.minimumTLSVersion = .tlsv1
        try await withEchoServer(lenient) { port in
            var config = try pki.clientTLSConfiguration()
            config.minimumTLSVersion = .tlsv1
            config.maximumTLSVersion = .tlsv11
            #expect(try await tlsRoundTrip(port: port, configuration: config) == "ping")
        }
    }
}

/// Echoes whatever it reads: a reply proves the server accepted the handshake, client certificate included
/// (under TLS 1.3 the client finishes its side before the server has checked the client certificate).
private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private func withEchoServer(
    _ configuration: TLSConfiguration, _ body: (Int) async throws -> Void
) async throws {
    let context = try NIOSSLContext(configuration: configuration)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                try channel.pipeline.syncOperations.addHandler(EchoHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(server.localAddress?.port)
    do {
        try await body(port)
    } catch {
        try? await server.close()
        throw error
    }
    try await server.close()
}

/// Connects, sends "ping" and returns the first bytes read back, or "<closed>" if the server hung up.
private func tlsRoundTrip(
    port: Int, configuration: TLSConfiguration, serverHostname: String? = nil
) async throws -> String {
    let context = try NIOSSLContext(configuration: configuration)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.seconds(5))
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: "ping"))
        for try await buffer in inbound {
            return String(buffer: buffer)
        }
        return "<closed>"
    }
}
