/// core/v1 Event: something that happened to an object (`kubectl describe` shows them).
public struct Event: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.events }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference?
    public var reason: String?
    public var message: String?
    public var source: EventSource?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var count: Int32?
    public var type: String?
    public var eventTime: String?
    public var series: EventSeries?
    public var action: String?
    public var related: ObjectReference?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public init(metadata: ObjectMeta = ObjectMeta(), involvedObject: ObjectReference? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
    }
}

/// core/v1 EventSource: the component (and host) that reported an event.
public struct EventSource: Codable, Sendable, Hashable {
    public var component: String?
    public var host: String?
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// core/v1 EventSeries.
public struct EventSeries: Codable, Sendable, Hashable {
    public var count: Int32?
    public var lastObservedTime: String?
    public init(count: Int32? = nil, lastObservedTime: String? = nil) {
        self.count = count
        self.lastObservedTime = lastObservedTime
    }
}
