import Crypto
import Foundation
import NIOCore
import NIOSSL
import PodlabModel
import Synchronization
import X509

/// The certificates the TLS listener serves, chosen per handshake by SNI: the `kubernetes.io/tls` Secret of the
/// server the name routes to, else ingress-nginx's default "Fake Certificate", made at start.
final class IngressCertificates: Sendable {
    /// A certificate chain and its key, ready for BoringSSL.
    struct Pair: @unchecked Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    let fallback: Pair
    private let state = Mutex<(table: IngressRouteTable, bySecret: [String: Pair])>((IngressRouteTable(), [:]))

    init() throws { fallback = try Self.fakeCertificate() }

    /// Replaces the table (for SNI lookups) and the parsed Secrets (by `namespace/name`).
    func replace(_ table: IngressRouteTable, _ bySecret: [String: Pair]) {
        state.withLock { $0 = (table, bySecret) }
    }

    /// The pair for a TLS client hello naming `serverName` (nil without SNI).
    func pair(for serverName: String?) -> Pair {
        state.withLock { s in
            guard let name = serverName, let ref = s.table.server(forHost: name)?.tlsSecret else { return fallback }
            return s.bySecret[ref.description] ?? fallback
        }
    }

    /// The server TLS configuration: the fake certificate by default, overridden per SNI name.
    func configuration() -> TLSConfiguration {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: fallback.chain.map { .certificate($0) }, privateKey: .privateKey(fallback.key))
        config.applicationProtocols = ["http/1.1"]
        config.sslContextCallback = { [self] values, promise in
            let pair = self.pair(for: values.serverHostname)
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return config
    }

    /// Reads a `kubernetes.io/tls` Secret's `tls.crt` and `tls.key`; throws a message naming what is wrong.
    static func parse(secret: JSONValue) throws -> Pair {
        let name = (secret["metadata"]["namespace"].string ?? "") + "/" + (secret["metadata"]["name"].string ?? "")
        guard secret["type"].string == "kubernetes.io/tls" else {
            throw IngressTLSError("secret \(name) is of type \(secret["type"].string ?? "Opaque"), not kubernetes.io/tls")
        }
        func field(_ key: String) throws -> [UInt8] {
            guard let text = secret["data"][key].string, let data = Data(base64Encoded: text) else {
                throw IngressTLSError("secret \(name) has no data.\(key)")
            }
            return Array(data)
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(try field("tls.crt"))
            guard !chain.isEmpty else { throw IngressTLSError("secret \(name): data.tls.crt holds no certificate") }
            return Pair(chain: chain, key: try NIOSSLPrivateKey(bytes: try field("tls.key"), format: .pem))
        } catch let e as IngressTLSError {
            throw e
        } catch {
            throw IngressTLSError("secret \(name): \(error)")
        }
    }

    /// ingress-nginx's default certificate: self-signed, CN "Kubernetes Ingress Controller Fake Certificate",
    /// O "Acme Co", SAN ingress.local.
    static func fakeCertificate() throws -> Pair {
        let key = P256.Signing.PrivateKey()
        let signer = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            OrganizationName("Acme Co")
            CommonName("Kubernetes Ingress Controller Fake Certificate")
        }
        let now = Date()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([.dnsName("ingress.local")])
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signer.publicKey,
            notValidBefore: now - 300, notValidAfter: now + 365 * 24 * 3600, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: signer)
        let pem = try certificate.serializeAsPEM().pemString
        return Pair(
            chain: try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)),
            key: try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))
    }
}

/// A TLS Secret that cannot be served.
struct IngressTLSError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
