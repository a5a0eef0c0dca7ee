import PodlabModel
import Testing

@testable import PodlabNet

@Suite("topology plan")
struct TopologyPlanTests {
    let nodes = ["podlab-control-plane", "podlab-worker", "podlab-worker2"]

    @Test("nodes get wire addresses from .2, pod CIDRs in order and a .1 gateway on cni0")
    func nodeAddresses() throws {
        let plan = try TopologyPlan(prefix: "podlab", nodeNames: nodes)
        #expect(plan.nodes.map(\.netns.rawValue) == nodes)
        #expect(plan.nodes.map(\.wireAddress.description) == ["172.18.0.2", "172.18.0.3", "172.18.0.4"])
        #expect(plan.nodes.allSatisfy { $0.wirePrefixLength == 16 })
        #expect(plan.nodes.map(\.podCIDR.description) == ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"])
        #expect(plan.nodes.map(\.gateway.description) == ["10.244.0.1", "10.244.1.1", "10.244.2.1"])
        #expect(plan.nodes.allSatisfy { $0.bridge.rawValue == "cni0" })
        #expect(plan.nodes.map(\.bridgeMAC.description) == ["02:70:0a:f4:00:01", "02:70:0a:f4:01:01", "02:70:0a:f4:02:01"])
    }

    @Test("each node routes every other node's pod CIDR via that node's wire address, and the rest via outside")
    func routes() throws {
        let plan = try TopologyPlan(prefix: "podlab", nodeNames: nodes)
        #expect(
            plan.nodes[0].routes.map(\.description) == [
                "10.244.1.0/24 via 172.18.0.3 dev eth0", "10.244.2.0/24 via 172.18.0.4 dev eth0",
                "default via 172.18.0.1 dev eth0",
            ])
        #expect(
            plan.nodes[2].routes.map(\.description) == [
                "10.244.0.0/24 via 172.18.0.2 dev eth0", "10.244.1.0/24 via 172.18.0.3 dev eth0",
                "default via 172.18.0.1 dev eth0",
            ])
        #expect(try TopologyPlan(prefix: "podlab", nodeNames: ["podlab-control-plane"]).nodes[0].routes.map(\.description)
            == ["default via 172.18.0.1 dev eth0"])
    }

    @Test("the wire has br0 with one port per node and one for the outside; the outside is .1 with no pod routes")
    func wireAndOutside() throws {
        let plan = try TopologyPlan(prefix: "podlab", nodeNames: nodes)
        #expect(plan.wire.netns.rawValue == "podlab-wire")
        #expect(plan.wire.bridge.rawValue == "br0")
        #expect(plan.wire.ports.map(\.rawValue) == ["veth-n0", "veth-n1", "veth-n2", "veth-outside"])
        #expect(plan.outside.netns.rawValue == "podlab-outside")
        #expect("\(plan.outside.address)/\(plan.outside.prefixLength)" == "172.18.0.1/16")
        #expect(plan.allNetns.map(\.rawValue) == ["podlab-wire", "podlab-outside"] + nodes)
        #expect(Set(plan.nodes.map(\.wirePort)).count == plan.nodes.count)
    }

    @Test("bad node lists fail before anything is planned")
    func badNodes() {
        #expect(throws: NameError.self) { try TopologyPlan(prefix: "podlab", nodeNames: []) }
        #expect(throws: NameError.self) { try TopologyPlan(prefix: "podlab", nodeNames: ["a", "a"]) }
        #expect(throws: NameError.self) { try TopologyPlan(prefix: "podlab", nodeNames: ["podlab-a", "a"]) }
        #expect(throws: NameError.self) { try TopologyPlan(prefix: "bad_prefix", nodeNames: ["a"]) }
        #expect(throws: NameError.self) {
            try TopologyPlan(prefix: "p", nodeNames: (0..<257).map { "n\($0)" })
        }
    }

    @Test("a pod plan takes its node's gateway and prefix length and podlab's names")
    func podPlan() throws {
        let plan = try TopologyPlan(prefix: "podlab", nodeNames: nodes)
        let pod = PodNetworkPlan(
            names: plan.names, namespace: "default", name: "web", uid: "uid-1", node: plan.nodes[1],
            address: try #require(IPv4Address("10.244.1.5")))
        #expect(pod.netns.rawValue == "podlab_default_web")
        #expect(pod.nodeNetns.rawValue == "podlab-worker")
        #expect(pod.hostVeth == NetNames.hostVeth(podUID: "uid-1"))
        #expect(pod.addressWithPrefix == "10.244.1.5/24")
        #expect(pod.defaultRoute.description == "default via 10.244.1.1 dev eth0")
        #expect(pod.sysctls == [Sysctl("net/ipv4/ip_forward", "0")])
    }
}

@Suite("sysctl plan")
struct SysctlPlanTests {
    func values(_ list: [Sysctl]) -> [String: String] {
        Dictionary(list.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("node namespaces forward, filter loosely, send no redirects and proxy-ARP between isolated ports")
    func node() {
        let v = values(SysctlPlan.node)
        #expect(v["net/ipv4/ip_forward"] == "1")
        for dev in ["all", "default", "eth0", "cni0"] { #expect(v["net/ipv4/conf/\(dev)/rp_filter"] == "2") }
        for dev in ["all", "default"] { #expect(v["net/ipv4/conf/\(dev)/arp_ignore"] == "0") }
        for dev in ["all", "default", "cni0"] {
            #expect(v["net/ipv4/conf/\(dev)/send_redirects"] == "0")
            #expect(v["net/ipv4/conf/\(dev)/accept_redirects"] == "0")
        }
        #expect(v["net/ipv4/conf/cni0/proxy_arp_pvlan"] == "1")
        #expect(v["net/ipv4/neigh/cni0/proxy_delay"] == "0")
        #expect(Set(SysctlPlan.node.map(\.path)).count == SysctlPlan.node.count)
    }

    @Test("bridge-nf-call-* is written 0 where present in node and wire namespaces, and only there optional")
    func bridgeNetfilter() {
        for list in [SysctlPlan.node, SysctlPlan.wire] {
            for t in ["iptables", "ip6tables", "arptables"] {
                #expect(list.contains(Sysctl("net/bridge/bridge-nf-call-\(t)", "0", onlyIfPresent: true)))
            }
        }
        let required = (SysctlPlan.node + SysctlPlan.wire + SysctlPlan.outside + SysctlPlan.pod).filter {
            !$0.onlyIfPresent
        }
        #expect(required.allSatisfy { $0.path.hasPrefix("net/ipv4/") })
    }

    @Test("wire, outside and pods do not forward")
    func nonRouters() {
        #expect(values(SysctlPlan.wire)["net/ipv4/ip_forward"] == "0")
        #expect(values(SysctlPlan.outside)["net/ipv4/ip_forward"] == "0")
        #expect(values(SysctlPlan.outside)["net/ipv4/conf/all/rp_filter"] == "2")
        #expect(values(SysctlPlan.pod)["net/ipv4/ip_forward"] == "0")
    }
}
