/// A reachability matrix printed as the upstream e2e netpol suite prints it: one row per client, one column
/// per server, `.` allowed and `X` blocked, tab-separated. Traffic from a pod to itself is not part of the
/// comparison (upstream ignores loopback too) and is printed `.`.
public struct PolicyTruthTable: Sendable, Equatable, CustomStringConvertible {
    /// Pod keys (`x/a`), rows and columns in this order.
    public var pods: [String]
    /// `allowed[from][to]`.
    public var allowed: [String: [String: Bool]]

    /// Fills every pair but a pod with itself from `probe(from, to)`.
    public init(pods: [String], probe: (String, String) -> Bool) {
        self.pods = pods
        var allowed: [String: [String: Bool]] = [:]
        for from in pods {
            for to in pods where from != to { allowed[from, default: [:]][to] = probe(from, to) }
        }
        self.allowed = allowed
    }

    /// Parses the printed form (the header row is skipped), so an expected table can be written as text.
    public init?(parsing text: String) {
        let rows = text.split(separator: "\n").map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init) }
        guard let header = rows.first, header.count > 1 else { return nil }
        let pods = Array(header.dropFirst())
        var cells: [String: [String: Bool]] = [:]
        for row in rows.dropFirst() {
            guard row.count == pods.count + 1 else { return nil }
            for (i, mark) in row.dropFirst().enumerated() where row[0] != pods[i] {
                guard mark == "." || mark == "X" else { return nil }
                cells[row[0], default: [:]][pods[i]] = mark == "."
            }
        }
        self.pods = pods
        self.allowed = cells
    }

    public var description: String {
        var out = "-\t" + pods.joined(separator: "\t") + "\n"
        for from in pods {
            out += from + "\t" + pods.map { to in (from == to || allowed[from]?[to] == true) ? "." : "X" }
                .joined(separator: "\t") + "\n"
        }
        return out
    }

    /// `from -> to` pairs where the two tables differ.
    public func mismatches(_ other: PolicyTruthTable) -> [String] {
        pods.flatMap { from in
            pods.compactMap { to in
                from != to && allowed[from]?[to] != other.allowed[from]?[to] ? "\(from) -> \(to)" : nil
            }
        }
    }
}

extension PolicyModel {
    /// What the tracer says for every pair of `pods` (keys) on `port`/`proto`.
    public func truthTable(pods keys: [String], port: Int, protocol proto: String) -> PolicyTruthTable {
        PolicyTruthTable(pods: keys) { from, to in
            guard let s = pod(from)?.ip, let d = pod(to)?.ip else { return false }
            return trace(from: s, to: d, port: port, protocol: proto).allowed
        }
    }
}
