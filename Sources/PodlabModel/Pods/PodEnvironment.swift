import Foundation

/// A container's environment as kubelet builds it: the runtime's PATH/HOSTNAME/HOME, the Docker-links style
/// variables of the Services that exist when the container starts, then the manifest's `envFrom` and `env`
/// (later definitions win; `$(VAR)` references to earlier variables are expanded, `$$` escapes a dollar).
public enum PodEnvironment {
    /// Why a container's environment cannot be built; kubelet reports it as `CreateContainerConfigError`.
    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// What the environment is computed from.
    public struct Inputs: Sendable {
        public var pod: Pod
        public var container: Container
        public var podIP: String
        public var hostIP: String
        /// Every Service in the cluster; kubelet uses those of the pod's namespace (when enableServiceLinks
        /// is not false) and the `kubernetes` Service of `default`.
        public var services: [Service]
        public var configMaps: [ConfigMap]
        public var secrets: [Secret]
        public init(
            pod: Pod, container: Container, podIP: String, hostIP: String, services: [Service] = [],
            configMaps: [ConfigMap] = [], secrets: [Secret] = []
        ) {
            self.pod = pod
            self.container = container
            self.podIP = podIP
            self.hostIP = hostIP
            self.services = services
            self.configMaps = configMaps
            self.secrets = secrets
        }
    }

    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The environment in order, each name once (a later value replaces an earlier one in place).
    public static func build(_ input: Inputs) throws -> [ContainerLaunch.EnvPair] {
        var env = OrderedEnv()
        let pod = input.pod
        let ns = pod.metadata.namespace ?? "default"
        env.set("PATH", defaultPath)
        env.set("HOSTNAME", pod.spec?.hostname ?? pod.metadata.name ?? "")
        env.set("HOME", "/root")
        if input.container.tty == true { env.set("TERM", "xterm") }
        for (k, v) in serviceVariables(services: input.services, namespace: ns, links: pod.spec?.enableServiceLinks ?? true) {
            env.set(k, v)
        }
        for source in input.container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            if let ref = source.configMapRef, let name = ref.name {
                guard let cm = input.configMaps.first(where: { $0.metadata.name == name && $0.metadata.namespace == ns })
                else {
                    if ref.optional == true { continue }
                    throw ConfigError(message: "configmap \"\(name)\" not found")
                }
                for (k, v) in (cm.data ?? [:]).sorted(by: { $0.key < $1.key }) { env.set(prefix + k, v) }
            }
            if let ref = source.secretRef, let name = ref.name {
                guard let s = input.secrets.first(where: { $0.metadata.name == name && $0.metadata.namespace == ns })
                else {
                    if ref.optional == true { continue }
                    throw ConfigError(message: "secret \"\(name)\" not found")
                }
                for (k, v) in (s.data ?? [:]).sorted(by: { $0.key < $1.key }) { env.set(prefix + k, decodeSecret(v)) }
            }
        }
        for (i, variable) in (input.container.env ?? []).enumerated() {
            guard let name = variable.name else { continue }
            if let source = variable.valueFrom {
                if let value = try resolve(source, input: input, namespace: ns, index: i) { env.set(name, value) }
            } else {
                env.set(name, expand(variable.value ?? "", with: env))
            }
        }
        return env.pairs
    }

    /// The Docker-links style variables kubelet writes for Services with a cluster IP, sorted by Service name.
    public static func serviceVariables(services: [Service], namespace: String, links: Bool) -> [(String, String)] {
        var chosen: [String: Service] = [:]
        for s in services {
            let sns = s.metadata.namespace ?? "default"
            let name = s.metadata.name ?? ""
            guard let ip = s.spec?.clusterIP, !ip.isEmpty, ip != "None" else { continue }
            if sns == "default" && name == "kubernetes" {
                // The master service is always present; a same-named Service in the pod's namespace wins.
                if chosen[name] == nil { chosen[name] = s }
            } else if links && sns == namespace {
                chosen[name] = s
            }
        }
        var out: [(String, String)] = []
        for name in chosen.keys.sorted() {
            guard let s = chosen[name], let ip = s.spec?.clusterIP, let ports = s.spec?.ports, let first = ports.first
            else { continue }
            let prefix = name.uppercased().replacingOccurrences(of: "-", with: "_")
            out.append(("\(prefix)_SERVICE_HOST", ip))
            out.append(("\(prefix)_SERVICE_PORT", String(first.port ?? 0)))
            for p in ports {
                if let pn = p.name, !pn.isEmpty {
                    let pname = pn.uppercased().replacingOccurrences(of: "-", with: "_")
                    out.append(("\(prefix)_SERVICE_PORT_\(pname)", String(p.port ?? 0)))
                }
            }
            let firstProto = (first.protocol ?? "TCP").lowercased()
            out.append(("\(prefix)_PORT", "\(firstProto)://\(ip):\(first.port ?? 0)"))
            for p in ports {
                let proto = (p.protocol ?? "TCP").uppercased()
                let port = p.port ?? 0
                let base = "\(prefix)_PORT_\(port)_\(proto)"
                out.append((base, "\(proto.lowercased())://\(ip):\(port)"))
                out.append(("\(base)_PROTO", proto.lowercased()))
                out.append(("\(base)_PORT", String(port)))
                out.append(("\(base)_ADDR", ip))
            }
        }
        return out
    }

    /// Expands `$(NAME)` with variables defined so far; unknown references stay as written and `$$(` gives `$(`,
    /// as kubelet's expansion does.
    public static func expand(_ text: String, with env: OrderedEnv) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "$", next < text.endIndex {
                if text[next] == "$" {
                    out.append("$")
                    i = text.index(after: next)
                    continue
                }
                if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                    let name = String(text[text.index(after: next)..<close])
                    if let v = env.value(of: name) {
                        out += v
                    } else {
                        out += text[i...close]
                    }
                    i = text.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = next
        }
        return out
    }

    static func resolve(_ source: EnvVarSource, input: Inputs, namespace ns: String, index: Int) throws -> String? {
        let pod = input.pod
        if let field = source.fieldRef?.fieldPath {
            switch field {
            case "metadata.name": return pod.metadata.name ?? ""
            case "metadata.namespace": return ns
            case "metadata.uid": return pod.metadata.uid ?? ""
            case "spec.nodeName": return pod.spec?.nodeName ?? ""
            case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? "default"
            case "status.podIP", "status.podIPs": return input.podIP
            case "status.hostIP", "status.hostIPs": return input.hostIP
            default:
                for (prefix, map) in [("metadata.labels", pod.metadata.labels), ("metadata.annotations", pod.metadata.annotations)] {
                    if field.hasPrefix(prefix + "['"), field.hasSuffix("']") {
                        let key = String(field.dropFirst(prefix.count + 2).dropLast(2))
                        return map?[key] ?? ""
                    }
                    if field == prefix {
                        return (map ?? [:]).sorted(by: { $0.key < $1.key }).map { "\($0.key)=\"\($0.value)\"" }
                            .joined(separator: "\n")
                    }
                }
                throw ConfigError(message: "env[\(index)].valueFrom.fieldRef.fieldPath: unsupported field \"\(field)\"")
            }
        }
        if let ref = source.configMapKeyRef, let name = ref.name, let key = ref.key {
            guard let cm = input.configMaps.first(where: { $0.metadata.name == name && $0.metadata.namespace == ns }) else {
                if ref.optional == true { return nil }
                throw ConfigError(message: "configmap \"\(name)\" not found")
            }
            guard let v = cm.data?[key] else {
                if ref.optional == true { return nil }
                throw ConfigError(message: "couldn't find key \(key) in ConfigMap \(ns)/\(name)")
            }
            return v
        }
        if let ref = source.secretKeyRef, let name = ref.name, let key = ref.key {
            guard let s = input.secrets.first(where: { $0.metadata.name == name && $0.metadata.namespace == ns }) else {
                if ref.optional == true { return nil }
                throw ConfigError(message: "secret \"\(name)\" not found")
            }
            guard let v = s.data?[key] else {
                if ref.optional == true { return nil }
                throw ConfigError(message: "couldn't find key \(key) in Secret \(ns)/\(name)")
            }
            return decodeSecret(v)
        }
        if let ref = source.resourceFieldRef {
            // Without limits kubelet reports the node's allocatable; podlab's nodes advertise 2 CPUs and 8Gi.
            let resource = ref.resource ?? ""
            if let limit = input.container.resources?.limits?[String(resource.dropFirst("limits.".count))] {
                return limit.description
            }
            return resource.contains("cpu") ? "2" : "8589934592"
        }
        return nil
    }

    static func decodeSecret(_ base64: String) -> String {
        guard let d = Data(base64Encoded: base64) else { return base64 }
        return String(decoding: d, as: UTF8.self)
    }
}

/// Environment variables in definition order; setting an existing name replaces its value in place.
public struct OrderedEnv: Sendable {
    private var names: [String] = []
    private var values: [String: String] = [:]
    public init() {}
    public mutating func set(_ name: String, _ value: String) {
        if values[name] == nil { names.append(name) }
        values[name] = value
    }
    public func value(of name: String) -> String? { values[name] }
    public var pairs: [ContainerLaunch.EnvPair] { names.map { ContainerLaunch.EnvPair(name: $0, value: values[$0] ?? "") } }
}
