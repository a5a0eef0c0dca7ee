import Foundation

/// Builds core/v1 Events the way client-go's legacy event recorder writes them.
public enum EventFactory {
    /// A core/v1 Event about `involved` (an object of `resource`) that happened at `now`.
    ///
    /// The name is `<object>.<unix nanoseconds in hex>` as upstream; `uniquifier` is added to the nanoseconds
    /// so several events about one object in the same instant get distinct names. The event lives in the
    /// object's namespace, or `default` for cluster-scoped objects.
    public static func make(
        involved: JSONValue, resource: ResourceInfo, type: String, reason: String, message: String,
        component: String, now: Date, uniquifier: Int = 0
    ) -> JSONValue {
        let c = involved.ctl
        let namespace = c.namespace.isEmpty ? "default" : c.namespace
        var ref: JSONValue = [
            "kind": .string(resource.kind), "name": .string(c.name), "apiVersion": .string(resource.apiVersion),
        ]
        if !c.namespace.isEmpty { ref["namespace"] = .string(c.namespace) }
        if !c.uid.isEmpty { ref["uid"] = .string(c.uid) }
        if let rv = involved["metadata"]["resourceVersion"].string { ref["resourceVersion"] = .string(rv) }
        let stamp = Timestamps.format(now)
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(c.name).\(hexName(now, uniquifier))"), "namespace": .string(namespace)],
            "involvedObject": ref,
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)],
            "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
            "eventTime": nil, "reportingComponent": .string(component), "reportingInstance": "",
        ]
    }

    static func hexName(_ now: Date, _ add: Int) -> String {
        let nanos = Int64((now.timeIntervalSince1970 * 1e9).rounded()) &+ Int64(add)
        return String(UInt64(bitPattern: nanos), radix: 16)
    }
}

/// Records a controller's events for one pass: unique names, and no repeat of an event already stored.
struct EventRecorder {
    let now: Date
    let component: String
    /// Names this recorder has handed out; stored names are looked up in the snapshot's index (building a set
    /// of every stored Event per controller per pass was a tenth of the daemon's CPU while pods started).
    private var taken: Set<String> = []
    private let snapshot: ClusterSnapshot
    private var counter = 0

    init(_ s: ClusterSnapshot, component: String, now: Date) {
        self.now = now
        self.component = component
        self.snapshot = s
    }

    /// An `.event` action about `obj`, named so it does not collide with stored or earlier events.
    mutating func event(
        _ obj: JSONValue, _ resource: ResourceInfo, _ type: String = "Normal", _ reason: String, _ message: String
    ) -> ControllerAction {
        while true {
            let ev = EventFactory.make(
                involved: obj, resource: resource, type: type, reason: reason, message: message,
                component: component, now: now, uniquifier: counter)
            counter += 1
            let key = "\(ev.ctl.namespace)/\(ev.ctl.name)"
            if !taken.contains(key), snapshot.get(Resources.events, namespace: ev.ctl.namespace, name: ev.ctl.name) == nil {
                taken.insert(key)
                return .event(ev)
            }
        }
    }

    /// Whether an event with this reason and message about the object with `uid` is already stored: used
    /// for conditions that persist (no free IP, unschedulable) so that repeated passes converge.
    func alreadyRecorded(uid: String, reason: String, message: String) -> Bool {
        snapshot.list(Resources.events).contains {
            $0["involvedObject"]["uid"].string == uid && $0["reason"].string == reason
                && $0["message"].string == message
        }
    }
}
