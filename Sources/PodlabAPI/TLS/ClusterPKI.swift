import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The cluster's certificate authority and the certificates podlab issues from it (API server, admin client).
///
/// Made at the first `podlab up` and kept in the state directory, so kubeconfigs written earlier stay valid across
/// daemon restarts. All keys are ECDSA P-256, as kubeadm's defaults would be with `EncryptionAlgorithm: ECDSA-P256`.
public struct ClusterPKI: Sendable {
    /// The CA certificate (PEM), the trust anchor written into every kubeconfig.
    public var caPEM: String
    /// The API server's certificate (PEM), signed by the CA.
    public var serverCertPEM: String
    /// The API server's private key (PEM, PKCS#8).
    public var serverKeyPEM: String
    /// The admin client certificate (PEM) that kubectl presents.
    public var adminCertPEM: String
    /// The admin client private key (PEM, PKCS#8).
    public var adminKeyPEM: String

    /// Common name of the CA, as kubeadm names its cluster CA "kubernetes"; ours says whose it is.
    public static let caCommonName = "podlab-ca"
    /// Common name of the API server certificate, as kubeadm's apiserver.crt.
    public static let serverCommonName = "kube-apiserver"
    /// Common name of the admin client certificate, as kubeadm's admin.conf.
    public static let adminCommonName = "kubernetes-admin"
    /// The admin's group: kubeadm (1.29+) binds `kubeadm:cluster-admins` to cluster-admin.
    public static let adminOrganization = "kubeadm:cluster-admins"
    /// DNS names every API server certificate carries, as kube-apiserver's own serving cert does.
    public static let serverDNSNames = [
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    /// IPs every API server certificate carries: loopback and the `kubernetes` Service's ClusterIP.
    public static let defaultServerIPs = ["127.0.0.1", "10.96.0.1"]

    /// File names inside the PKI directory (kubeadm's names, so a reader recognises them).
    public enum FileName {
        /// The CA certificate.
        public static let caCert = "ca.crt"
        /// The CA key.
        public static let caKey = "ca.key"
        /// The API server certificate.
        public static let serverCert = "apiserver.crt"
        /// The API server key.
        public static let serverKey = "apiserver.key"
        /// The admin client certificate.
        public static let adminCert = "admin.crt"
        /// The admin client key.
        public static let adminKey = "admin.key"
    }

    // Validity periods. Leaf certificates are renewed on load once they are this close to expiry, so a
    // long-lived state dir never serves an expired certificate.
    static let caLifetime: TimeInterval = 10 * 365 * 24 * 3600
    static let leafLifetime: TimeInterval = 365 * 24 * 3600
    static let renewBefore: TimeInterval = 30 * 24 * 3600
    // Backdate notBefore a little, as kubeadm does, so a clock slightly behind ours still accepts a fresh cert.
    static let backdate: TimeInterval = 5 * 60

    /// Loads the PKI from `directory`, creating whatever is missing.
    ///
    /// Creates `directory` (mode 0700) if needed and writes each file with mode 0600. A missing CA is generated
    /// together with fresh leaf certificates. The server certificate is reissued when it lacks one of
    /// `serverIPs` (or a default name), was not signed by the CA, or is near expiry; the admin certificate likewise.
    /// Throws `PKIError` naming the file that could not be read, parsed or written.
    public static func loadOrCreate(directory: String, serverIPs: [String]) throws -> ClusterPKI {
        try ensurePrivateDirectory(directory)
        let files = PKIFiles(directory: directory)
        let now = Date()

        var issuedNewCA = false
        let ca: KeyPair
        if let existing = try loadPair(cert: files.caCert, key: files.caKey) {
            ca = existing
        } else {
            ca = try makeCA(now: now)
            try writePair(ca, cert: files.caCert, key: files.caKey)
            issuedNewCA = true
        }

        var requestedIPs: [String] = []
        for ip in defaultServerIPs + serverIPs where !requestedIPs.contains(ip) {
            requestedIPs.append(ip)
        }
        let wantedSANs = try serverSANs(ips: requestedIPs)

        // Leaf certificates are cheap to reissue, so a damaged or stale one is replaced rather than reported.
        let storedServer = issuedNewCA ? nil : try? loadPair(cert: files.serverCert, key: files.serverKey)
        let server: KeyPair
        if let stored = storedServer, isUsableLeaf(stored.certificate, issuedBy: ca, now: now),
            Set(try stored.certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
                .isSuperset(of: wantedSANs)
        {
            server = stored
        } else {
            // Keep the IPs an earlier start asked for too, so adding one address never drops another.
            var sans = wantedSANs
            let storedSANs =
                (try? storedServer?.certificate.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames()
            for name in storedSANs where !sans.contains(name) {
                if case .ipAddress = name { sans.append(name) }
            }
            server = try makeServerCert(sans: sans, ca: ca, now: now)
            try writePair(server, cert: files.serverCert, key: files.serverKey)
        }

        let storedAdmin = issuedNewCA ? nil : try? loadPair(cert: files.adminCert, key: files.adminKey)
        let admin: KeyPair
        if let stored = storedAdmin, isUsableLeaf(stored.certificate, issuedBy: ca, now: now) {
            admin = stored
        } else {
            admin = try makeAdminCert(ca: ca, now: now)
            try writePair(admin, cert: files.adminCert, key: files.adminKey)
        }

        return ClusterPKI(
            caPEM: ca.certPEM, serverCertPEM: server.certPEM, serverKeyPEM: server.keyPEM,
            adminCertPEM: admin.certPEM, adminKeyPEM: admin.keyPEM)
    }

    /// Loads the PKI that `loadOrCreate` made in `directory`, changing nothing (for the CLI beside the daemon).
    ///
    /// Throws `PKIError` naming the first file that is missing, unreadable, unparsable or does not match its
    /// key or its CA.
    public static func load(directory: String) throws -> ClusterPKI {
        let files = PKIFiles(directory: directory)
        func required(cert: String, key: String) throws -> KeyPair {
            guard let pair = try loadPair(cert: cert, key: key) else {
                throw PKIError(path: cert, problem: "missing; `podlab up` creates it")
            }
            return pair
        }
        let ca = try required(cert: files.caCert, key: files.caKey)
        let server = try required(cert: files.serverCert, key: files.serverKey)
        let admin = try required(cert: files.adminCert, key: files.adminKey)
        for (pair, path) in [(server, files.serverCert), (admin, files.adminCert)]
        where !ca.certificate.publicKey.isValidSignature(pair.certificate.signature, for: pair.certificate) {
            throw PKIError(path: path, problem: "not signed by the CA in \(files.caCert)")
        }
        return ClusterPKI(
            caPEM: ca.certPEM, serverCertPEM: server.certPEM, serverKeyPEM: server.keyPEM,
            adminCertPEM: admin.certPEM, adminKeyPEM: admin.keyPEM)
    }

    /// The NIOSSL server context: TLS 1.2+, the API server certificate, client certificates required and
    /// verified against the cluster CA only (no hostname check, which has no meaning for a client).
    public func serverTLSConfiguration() throws -> TLSConfiguration {
        let ca = try Self.nioCertificates(caPEM, what: "CA certificate")
        var config = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try Self.nioCertificates(serverCertPEM, what: "server certificate").map {
                .certificate($0)
            },
            privateKey: .privateKey(try Self.nioKey(serverKeyPEM, what: "server key")),
            trustRoots: .certificates(ca))
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = .noHostnameVerification
        // Tell clients which CA we accept, as kube-apiserver does, so a client holding several certs picks ours.
        config.sendCANameList = true
        // kubectl offers h2 first; only HTTP/1.1 is served, so say so instead of letting it guess.
        config.applicationProtocols = ["http/1.1"]
        return config
    }

    /// A client context presenting the admin certificate and trusting only the cluster CA (hostname verified).
    public func clientTLSConfiguration() throws -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = .fullVerification
        config.trustRoots = .certificates(try Self.nioCertificates(caPEM, what: "CA certificate"))
        config.certificateChain = try Self.nioCertificates(adminCertPEM, what: "admin certificate").map {
            .certificate($0)
        }
        config.privateKey = .privateKey(try Self.nioKey(adminKeyPEM, what: "admin key"))
        config.applicationProtocols = ["http/1.1"]
        return config
    }

    private static func nioCertificates(_ pem: String, what: String) throws -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        } catch {
            throw PKIError(path: what, problem: "not a PEM certificate: \(error)")
        }
    }

    private static func nioKey(_ pem: String, what: String) throws -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem)
        } catch {
            throw PKIError(path: what, problem: "not a PEM private key: \(error)")
        }
    }
}

/// A PKI file that could not be read, parsed or written, or a PEM value that NIOSSL rejected.
public struct PKIError: Error, CustomStringConvertible, Equatable {
    /// The file (or, for in-memory values, what it was).
    public var path: String
    /// What was wrong with it.
    public var problem: String
    /// Printed as `/var/lib/podlab/pki/ca.key: not a PEM private key: ...`.
    public var description: String { "\(path): \(problem)" }

    /// Makes an error about `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
}

// MARK: - Issuing

/// A certificate with its private key, both parsed and as the PEM text stored on disk.
struct KeyPair {
    var certificate: Certificate
    var key: P256.Signing.PrivateKey
    var certPEM: String
    var keyPEM: String

    init(certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.certificate = certificate
        self.key = key
        self.certPEM = try certificate.serializeAsPEM().pemString + "\n"
        self.keyPEM = key.pemRepresentation + "\n"
    }

    init(certificate: Certificate, key: P256.Signing.PrivateKey, certPEM: String, keyPEM: String) {
        self.certificate = certificate
        self.key = key
        self.certPEM = certPEM
        self.keyPEM = keyPEM
    }
}

struct PKIFiles {
    var caCert, caKey, serverCert, serverKey, adminCert, adminKey: String

    init(directory: String) {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        caCert = path(ClusterPKI.FileName.caCert)
        caKey = path(ClusterPKI.FileName.caKey)
        serverCert = path(ClusterPKI.FileName.serverCert)
        serverKey = path(ClusterPKI.FileName.serverKey)
        adminCert = path(ClusterPKI.FileName.adminCert)
        adminKey = path(ClusterPKI.FileName.adminKey)
    }
}

extension ClusterPKI {
    static func makeCA(now: Date) throws -> KeyPair {
        let key = P256.Signing.PrivateKey()
        let signer = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(caCommonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: signer.publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signer.publicKey,
            notValidBefore: now - backdate, notValidAfter: now + caLifetime,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: signer)
        return try KeyPair(certificate: certificate, key: key)
    }

    static func makeServerCert(sans: [GeneralName], ca: KeyPair, now: Date) throws -> KeyPair {
        try makeLeaf(
            subject: DistinguishedName { CommonName(serverCommonName) },
            usage: .serverAuth, sans: sans, ca: ca, now: now)
    }

    static func makeAdminCert(ca: KeyPair, now: Date) throws -> KeyPair {
        // Kubernetes reads groups from O and the user name from CN (x509 authenticator).
        try makeLeaf(
            subject: DistinguishedName {
                OrganizationName(adminOrganization)
                CommonName(adminCommonName)
            },
            usage: .clientAuth, sans: [], ca: ca, now: now)
    }

    private static func makeLeaf(
        subject: DistinguishedName, usage: ExtendedKeyUsage.Usage, sans: [GeneralName], ca: KeyPair, now: Date
    ) throws -> KeyPair {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let caSigner = Certificate.PrivateKey(ca.key)
        let authorityKeyID =
            (try? ca.certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: caSigner.publicKey).keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            // ECDSA keys sign the handshake; keyEncipherment would be meaningless for them.
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([usage])
            AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
            if !sans.isEmpty {
                SubjectAlternativeNames(sans)
            }
        }
        let notAfter = min(now + leafLifetime, ca.certificate.notValidAfter)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - backdate, notValidAfter: notAfter,
            issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: caSigner)
        return try KeyPair(certificate: certificate, key: key)
    }

    /// The SANs a server certificate must carry: the fixed DNS names, then `ips` in order.
    static func serverSANs(ips: [String]) throws -> [GeneralName] {
        var names = serverDNSNames.map { GeneralName.dnsName($0) }
        for ip in ips {
            guard let bytes = ipAddressBytes(ip) else {
                throw PKIError(path: "server certificate", problem: "\"\(ip)\" is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        return names
    }

    /// The 4 or 16 network-order bytes of a textual IP address, as a SAN iPAddress holds them.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Whether a stored leaf certificate can be kept: signed by this CA, and not expired or about to be.
    static func isUsableLeaf(_ certificate: Certificate, issuedBy ca: KeyPair, now: Date) -> Bool {
        certificate.issuer == ca.certificate.subject
            && ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
            && certificate.notValidAfter > now + renewBefore
            && certificate.notValidBefore <= now + backdate
    }
}

// MARK: - Files

extension ClusterPKI {
    /// Loads a certificate and its key. Both missing is `nil` (to be created); one without the other, unreadable,
    /// unparsable or mismatched files throw, naming the file. For the CA that error reaches the user, because
    /// silently replacing a CA would lock out every kubeconfig that trusts it.
    static func loadPair(cert certPath: String, key keyPath: String) throws -> KeyPair? {
        let fm = FileManager.default
        let haveCert = fm.fileExists(atPath: certPath)
        let haveKey = fm.fileExists(atPath: keyPath)
        if !haveCert && !haveKey { return nil }
        guard haveCert else { throw PKIError(path: certPath, problem: "missing, but its key \(keyPath) exists") }
        guard haveKey else { throw PKIError(path: keyPath, problem: "missing, but its certificate \(certPath) exists") }

        let certPEM = try readText(certPath)
        let keyPEM = try readText(keyPath)
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certPEM)
        } catch {
            throw PKIError(path: certPath, problem: "not a PEM certificate: \(error)")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw PKIError(path: keyPath, problem: "not a PEM ECDSA P-256 private key: \(error)")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw PKIError(path: keyPath, problem: "does not match the public key of \(certPath)")
        }
        // Tighten modes left loose by hand edits: these keys are root-equivalent.
        chmod(keyPath, 0o600)
        chmod(certPath, 0o600)
        return KeyPair(certificate: certificate, key: key, certPEM: certPEM, keyPEM: keyPEM)
    }

    static func writePair(_ pair: KeyPair, cert certPath: String, key keyPath: String) throws {
        // Key first: a crash between the two leaves a key without its cert, which loadPair reports.
        try PrivateFile.write(pair.keyPEM, to: keyPath)
        try PrivateFile.write(pair.certPEM, to: certPath)
    }

    static func readText(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError(path: path, problem: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Creates `path` with mode 0700 if missing, and makes an existing one 0700: it holds private keys.
    static func ensurePrivateDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw PKIError(path: path, problem: "exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw PKIError(path: path, problem: "cannot create directory: \(error.localizedDescription)")
            }
        }
        if chmod(path, 0o700) != 0 {
            let code = errno
            throw PKIError(path: path, problem: "chmod 0700 failed: \(String(cString: strerror(code)))")
        }
    }
}
