import Foundation
import PodlabAPI
import PodlabModel

extension Explain {
    /// The Ingress name from `ingress/NAME`, `ing/NAME` or `ingresses/NAME`, or nil for another kind.
    static func ingressName(_ target: String) -> String? {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, ["ing", "ingress", "ingresses", "ingress.networking.k8s.io"].contains(parts[0].lowercased()),
            !parts[1].isEmpty
        else { return nil }
        return parts[1]
    }

    /// Prints the routing table the built-in controller builds for Ingress `name`: the same objects, the same
    /// function (`IngressRouteTable.build`), so what is printed is what the proxy does.
    func explainIngress(_ name: String, client: APIClient) async throws {
        let ingress: JSONValue
        do {
            ingress = try await client.getJSON("/apis/networking.k8s.io/v1/namespaces/\(namespace)/ingresses/\(name)")
        } catch let e as StatusError where e.code == 404 {
            throw CLIError("ingresses.networking.k8s.io \"\(name)\" not found in namespace \"\(namespace)\"")
        }
        let items = { (path: String) async throws -> [JSONValue] in try await client.getJSON(path)["items"].array ?? [] }
        let classes = try await items("/apis/networking.k8s.io/v1/ingressclasses")
        let table = IngressRouteTable.build(
            ingresses: try await items("/apis/networking.k8s.io/v1/ingresses"), classes: classes,
            services: try await items("/api/v1/services"),
            endpointSlices: try await items("/apis/discovery.k8s.io/v1/endpointslices"))
        let served = IngressClassSelector.nginx.selects(ingress, classes: classes)
        let className = ingress.at("spec.ingressClassName").string
            ?? ingress.at("metadata.annotations")["kubernetes.io/ingress.class"].string ?? "<none>"
        let address = (ingress.at("status.loadBalancer.ingress").array ?? []).compactMap { $0["ip"].string }
        print("Ingress \(namespace)/\(name): class \(className), address \(address.isEmpty ? "<none>" : address.joined(separator: ","))")
        guard served else {
            print("not served: the built-in controller (ingress-nginx, class nginx) takes Ingresses of class nginx, "
                + "or without a class while nginx is the default IngressClass")
            return
        }
        for line in table.describe(ingress: "\(namespace)/\(name)") { print("  " + line) }
    }
}
