import Foundation
import NIOHTTP1
import PodlabModel
import PodlabStore

/// One complete HTTP request as the API handlers see it.
public struct APIRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query, percent-decoded segments not yet split.
    public var path: String
    public var query: QueryParameters
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: [UInt8]) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "")
        self.query = QueryParameters(parts.count > 1 ? String(parts[1]) : "")
        self.headers = headers
        self.body = body
    }

    /// True when the client asked for a `meta.k8s.io` Table (kubectl get).
    public var wantsTable: Bool {
        headers[canonicalForm: "accept"].contains { $0.contains("as=Table") }
    }

    /// The request body's media type without parameters, lower-cased.
    public var contentType: String {
        let raw = headers.first(name: "content-type") ?? "application/json"
        return raw.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? raw
    }
}

/// Query parameters, decoded as Go's `url.ParseQuery` decodes them (`+` is a space).
public struct QueryParameters: Sendable {
    public var items: [(String, String)]

    public init(_ raw: String) {
        items = raw.split(separator: "&").compactMap { pair in
            guard !pair.isEmpty else { return nil }
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = QueryParameters.decode(String(kv[0]))
            let value = kv.count > 1 ? QueryParameters.decode(String(kv[1])) : ""
            return (key, value)
        }
    }

    public subscript(_ key: String) -> String? { items.first { $0.0 == key }?.1 }

    /// All values of a repeated key (`command=a&command=b`).
    public func all(_ key: String) -> [String] { items.filter { $0.0 == key }.map(\.1) }

    public func bool(_ key: String) -> Bool { self[key].map { $0 == "true" || $0 == "1" } ?? false }

    static func decode(_ s: String) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a handler answers.
public enum APIResponse: Sendable {
    /// A JSON body with a status and extra headers (`Warning`, ...).
    case json(HTTPResponseStatus, JSONValue, headers: [(String, String)] = [])
    /// Plain text.
    case text(HTTPResponseStatus, String)
    /// Raw bytes of a given media type.
    case bytes(HTTPResponseStatus, contentType: String, [UInt8])
    /// A chunked stream of JSON lines (watch).
    case stream(WatchStream)

    /// The `metav1.Status` answer for an error.
    public static func error(_ e: StatusError) -> APIResponse {
        .json(HTTPResponseStatus(statusCode: e.code), e.status)
    }
}

/// A watch answer: the lines to send first, then one line per store event that `transform` keeps.
/// The connection's writer streams it, and stops at `timeout` or when the client goes away.
public struct WatchStream: Sendable {
    public var initial: [JSONValue]
    public var events: AsyncStream<WatchEvent>
    public var timeout: Duration?
    public var transform: @Sendable (WatchEvent) -> JSONValue?
}
