/// core/v1 Volume: a name and one source.
///
/// emptyDir, configMap, secret, hostPath and projected are typed; the other sources are kept as given (JSONValue)
/// so that manifests using them are accepted and served back, though podlab does not mount them.
public struct Volume: Codable, Sendable, Hashable {
    public var name: String?
    public var emptyDir: EmptyDirVolumeSource?
    public var configMap: ConfigMapVolumeSource?
    public var secret: SecretVolumeSource?
    public var hostPath: HostPathVolumeSource?
    public var projected: ProjectedVolumeSource?
    public var persistentVolumeClaim: JSONValue?
    public var downwardAPI: JSONValue?
    public var ephemeral: JSONValue?
    public var image: JSONValue?
    public var csi: JSONValue?
    public var nfs: JSONValue?
    public var iscsi: JSONValue?
    public var gitRepo: JSONValue?
    public var gcePersistentDisk: JSONValue?
    public var awsElasticBlockStore: JSONValue?
    public var glusterfs: JSONValue?
    public var rbd: JSONValue?
    public var flexVolume: JSONValue?
    public var cinder: JSONValue?
    public var cephfs: JSONValue?
    public var flocker: JSONValue?
    public var fc: JSONValue?
    public var azureFile: JSONValue?
    public var azureDisk: JSONValue?
    public var vsphereVolume: JSONValue?
    public var quobyte: JSONValue?
    public var photonPersistentDisk: JSONValue?
    public var portworxVolume: JSONValue?
    public var scaleIO: JSONValue?
    public var storageos: JSONValue?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 EmptyDirVolumeSource.
public struct EmptyDirVolumeSource: Codable, Sendable, Hashable {
    public var medium: String?
    public var sizeLimit: Quantity?
    public init() {}
}

/// core/v1 KeyToPath: one key of a ConfigMap or Secret projected to a file.
public struct KeyToPath: Codable, Sendable, Hashable {
    public var key: String?
    public var path: String?
    public var mode: Int32?
    public init(key: String? = nil, path: String? = nil) {
        self.key = key
        self.path = path
    }
}

/// core/v1 ConfigMapVolumeSource.
public struct ConfigMapVolumeSource: Codable, Sendable, Hashable {
    public var name: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 SecretVolumeSource.
public struct SecretVolumeSource: Codable, Sendable, Hashable {
    public var secretName: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?
    public init(secretName: String? = nil) { self.secretName = secretName }
}

/// core/v1 HostPathVolumeSource.
public struct HostPathVolumeSource: Codable, Sendable, Hashable {
    public var path: String?
    public var type: String?
    public init(path: String? = nil) { self.path = path }
}

/// core/v1 ProjectedVolumeSource; each source (configMap, secret, downwardAPI, serviceAccountToken) is kept as given.
public struct ProjectedVolumeSource: Codable, Sendable, Hashable {
    public var sources: [JSONValue]?
    public var defaultMode: Int32?
    public init() {}
}
