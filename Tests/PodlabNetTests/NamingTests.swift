import Testing

@testable import PodlabNet

@Suite("naming")
struct NamingTests {
    @Test("interface names follow the kernel's dev_valid_name rules")
    func interfaceNames() throws {
        #expect(try InterfaceName("eth0").rawValue == "eth0")
        #expect(try InterfaceName("123456789012345").rawValue.count == 15)
        #expect(throws: NameError.self) { try InterfaceName("1234567890123456") }
        #expect(throws: NameError.self) { try InterfaceName("") }
        #expect(throws: NameError.self) { try InterfaceName("a/b") }
        #expect(throws: NameError.self) { try InterfaceName("a b") }
        #expect(throws: NameError.self) { try InterfaceName("a:1") }
        #expect(throws: NameError.self) { try InterfaceName("..") }
    }

    @Test("interface name length counts bytes, not characters")
    func interfaceNameBytes() {
        #expect(throws: NameError.self) { try InterfaceName("ééééééééé") }  // 9 characters, 18 bytes
    }

    @Test("netns names are safe file names under /run/netns")
    func netnsNames() throws {
        #expect(try NetnsName("podlab_default_web-1.a").path == "/run/netns/podlab_default_web-1.a")
        #expect(throws: NameError.self) { try NetnsName("") }
        #expect(throws: NameError.self) { try NetnsName("a/b") }
        #expect(throws: NameError.self) { try NetnsName("..") }
        #expect(throws: NameError.self) { try NetnsName(String(repeating: "a", count: 201)) }
        #expect(try NetnsName(String(repeating: "a", count: 200)).rawValue.count == 200)
    }

    @Test("prefix podlab names node namespaces exactly like the nodes")
    func nodeNames() throws {
        let names = try NetNames(prefix: "podlab")
        #expect(names.node("podlab-control-plane").rawValue == "podlab-control-plane")
        #expect(names.node("podlab-worker").rawValue == "podlab-worker")
        #expect(names.node("podlab-worker2").rawValue == "podlab-worker2")
        #expect(names.node("other").rawValue == "podlab-other")
        #expect(names.wire.rawValue == "podlab-wire")
        #expect(names.outside.rawValue == "podlab-outside")
        let test = try NetNames(prefix: "pltest-42-net")
        #expect(test.node("podlab-worker").rawValue == "pltest-42-net-worker")
    }

    @Test("pod namespaces join prefix, namespace and name with underscores")
    func podNames() throws {
        let names = try NetNames(prefix: "podlab")
        #expect(names.pod(namespace: "default", name: "web-1").rawValue == "podlab_default_web-1")
        #expect(names.isPod("podlab_default_web-1"))
        #expect(!names.isPod("podlab-worker"))
    }

    @Test("long pod names are cut to 200 characters and end in a hash of the full name")
    func longPodNames() throws {
        let names = try NetNames(prefix: "podlab")
        let a = names.pod(namespace: "default", name: String(repeating: "a", count: 253))
        let b = names.pod(namespace: "default", name: String(repeating: "a", count: 252) + "b")
        #expect(a.rawValue.count == 200)
        #expect(b.rawValue.count == 200)
        #expect(a != b)
        #expect(a == names.pod(namespace: "default", name: String(repeating: "a", count: 253)))
        #expect(throws: Never.self) { try NetnsName(a.rawValue) }
    }

    @Test("host veth names are plv plus 8 hex digits of a stable hash of the pod UID")
    func hostVeth() throws {
        let names = try NetNames(prefix: "podlab")
        let v = names.hostVeth(podUID: "6f1e2c0a-1b2c-4d5e-8f90-0123456789ab")
        #expect(v.rawValue.count == 11)
        #expect(v.rawValue.hasPrefix("plv"))
        #expect(v.rawValue.dropFirst(3).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(v == names.hostVeth(podUID: "6f1e2c0a-1b2c-4d5e-8f90-0123456789ab"))
        #expect(v != names.hostVeth(podUID: "6f1e2c0a-1b2c-4d5e-8f90-0123456789ac"))
        // FNV-1a 32 reference values: "" -> 811c9dc5, "a" -> e40c292c.
        #expect(NetNames.fnv1a32("") == 0x811c_9dc5)
        #expect(NetNames.fnv1a32("a") == 0xe40c_292c)
        #expect(NetNames.hostVeth(podUID: "a").rawValue == "plve40c292c")
    }

    @Test("a prefix owns names starting with prefix- or prefix_ and nothing else")
    func owns() throws {
        let names = try NetNames(prefix: "pltest-7-net")
        #expect(names.owns("pltest-7-net-wire"))
        #expect(names.owns("pltest-7-net_default_a"))
        #expect(!names.owns("pltest-7-net"))
        #expect(!names.owns("pltest-7-network"))
        #expect(!names.owns("pltest-71-net-wire"))
        #expect(!names.owns("podlab-worker"))
    }

    @Test("bad prefixes are refused before anything is named")
    func badPrefix() {
        #expect(throws: NameError.self) { try NetNames(prefix: "") }
        #expect(throws: NameError.self) { try NetNames(prefix: "a_b") }
        #expect(throws: NameError.self) { try NetNames(prefix: "a/b") }
        #expect(throws: NameError.self) { try NetNames(prefix: String(repeating: "p", count: 65)) }
    }
}
