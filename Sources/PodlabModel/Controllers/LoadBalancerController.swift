import Foundation

/// Gives Services of type LoadBalancer an address from the pool (the part of a cloud provider's service
/// controller, or MetalLB, that podlab plays).
///
/// An address is written as `status.loadBalancer.ingress: [{ip, ipMode: VIP}]`. `spec.loadBalancerIP` is
/// honoured when it is in the pool and free; otherwise the Service stays pending with a warning, as MetalLB
/// does. The lowest free pool address is used otherwise. Services with `spec.loadBalancerClass` belong to
/// another implementation and are skipped. When a Service stops being a LoadBalancer its address is
/// released. Events as upstream's service controller: EnsuringLoadBalancer / EnsuredLoadBalancer,
/// DeletingLoadBalancer / DeletedLoadBalancer, warning SyncLoadBalancerFailed.
public enum LoadBalancerController {
    static let component = "service-controller"

    /// One pass over every Service.
    public static func reconcile(_ s: ClusterSnapshot, config: ClusterConfig, now: Date) -> [ControllerAction] {
        var recorder = EventRecorder(s, component: component, now: now)
        var out: [ControllerAction] = []
        let services = s.list(Resources.services)
        guard let first = PoolAddress.parse(config.lbPoolFirst), let last = PoolAddress.parse(config.lbPoolLast),
            first <= last
        else {
            return []
        }
        let pool = first...last
        var used = Set(services.flatMap { ingressIPs($0) }.compactMap(PoolAddress.parse))

        // Services that ask for a specific address are served first, so the lowest-free choice for others
        // cannot take an address someone requested.
        let requestsFirst =
            services.filter { !($0["spec"]["loadBalancerIP"].string ?? "").isEmpty }
            + services.filter { ($0["spec"]["loadBalancerIP"].string ?? "").isEmpty }
        for svc in requestsFirst where !svc.ctl.isDeleting {
            let isLB = svc["spec"]["type"].string == "LoadBalancer"
            let current = ingressIPs(svc)
            if !isLB {
                if !current.isEmpty {
                    out.append(
                        recorder.event(
                            svc, Resources.services, "Normal", "DeletingLoadBalancer", "Deleting load balancer"))
                    var updated = svc
                    updated.set("status.loadBalancer", .object([:]))
                    out.append(.updateStatus(Resources.services, updated))
                    out.append(
                        recorder.event(
                            svc, Resources.services, "Normal", "DeletedLoadBalancer", "Deleted load balancer"))
                }
                continue
            }
            if !svc["spec"]["loadBalancerClass"].isNull || !current.isEmpty { continue }
            let requested = svc["spec"]["loadBalancerIP"].string.flatMap { $0.isEmpty ? nil : $0 }
            var chosen: UInt32?
            var failure: String?
            if let requested {
                if let ip = PoolAddress.parse(requested), pool.contains(ip), !used.contains(ip) {
                    chosen = ip
                } else {
                    let range = "\(config.lbPoolFirst)-\(config.lbPoolLast)"
                    failure = "requested IP \(requested) is not a free address of pool \(range)"
                }
            } else {
                chosen = pool.first { !used.contains($0) }
                if chosen == nil { failure = "no available IPs in pool \(config.lbPoolFirst)-\(config.lbPoolLast)" }
            }
            if let ip = chosen {
                used.insert(ip)
                out.append(
                    recorder.event(svc, Resources.services, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer"))
                var updated = svc
                updated.set(
                    "status.loadBalancer", ["ingress": [["ip": .string(PoolAddress.format(ip)), "ipMode": "VIP"]]])
                out.append(.updateStatus(Resources.services, updated))
                out.append(
                    recorder.event(svc, Resources.services, "Normal", "EnsuredLoadBalancer", "Ensured load balancer"))
            } else if let failure {
                let message = "Error syncing load balancer: failed to ensure load balancer: \(failure)"
                if !recorder.alreadyRecorded(uid: svc.ctl.uid, reason: "SyncLoadBalancerFailed", message: message) {
                    out.append(recorder.event(svc, Resources.services, "Warning", "SyncLoadBalancerFailed", message))
                }
            }
        }
        return out
    }

    static func ingressIPs(_ svc: JSONValue) -> [String] {
        (svc["status"]["loadBalancer"]["ingress"].array ?? []).compactMap { $0["ip"].string }
    }
}

/// Dotted-quad IPv4 addresses as 32-bit numbers, for pool arithmetic.
enum PoolAddress {
    static func parse(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard p.count <= 3, let octet = UInt32(p), octet <= 255 else { return nil }
            v = v << 8 | octet
        }
        return v
    }

    static func format(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
    }
}
