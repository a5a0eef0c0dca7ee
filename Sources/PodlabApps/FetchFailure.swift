/// Why the fetcher could not get the demo server's message; the text is what the 502 body and log show.
enum FetchFailure: Error, CustomStringConvertible, Equatable {
    case badURL(String)
    case resolve(host: String, reason: String)
    case connect(target: String, address: String, reason: String)
    case timedOut(target: String, seconds: Int)
    case upstream(target: String, reason: String)

    var description: String {
        switch self {
        case .badURL(let url): return "cannot fetch \(url): only http://host[:port][/path] URLs are supported"
        case .resolve(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .connect(let target, let address, let reason): return "cannot connect to \(target) (\(address)): \(reason)"
        case .timedOut(let target, let seconds): return "timed out after \(seconds) s fetching \(target)"
        case .upstream(let target, let reason): return "\(target) answered badly: \(reason)"
        }
    }
}
