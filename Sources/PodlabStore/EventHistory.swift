/// The last `capacity` events, oldest first, for replaying a watch from a resourceVersion.
///
/// A ring over a fixed array: appending never reallocates once full, and events arrive in resourceVersion order,
/// so "events after X" is a binary search.
struct EventHistory {
    private var storage: [WatchEvent] = []
    private var start = 0
    let capacity: Int
    /// Every event with a resourceVersion above this is retained; a watch from below it must re-list.
    private(set) var floor: Int64

    init(capacity: Int, floor: Int64) {
        self.capacity = max(1, capacity)
        self.floor = floor
    }

    var count: Int { storage.count }

    private func at(_ i: Int) -> WatchEvent { storage[(start + i) % storage.count] }

    mutating func append(_ event: WatchEvent) {
        if storage.count < capacity {
            storage.append(event)
            return
        }
        floor = storage[start].resourceVersion
        storage[start] = event
        start = (start + 1) % capacity
    }

    /// The retained events with a resourceVersion above `rv`, oldest first.
    func events(after rv: Int64) -> [WatchEvent] {
        var lo = 0
        var hi = storage.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if at(mid).resourceVersion > rv { hi = mid } else { lo = mid + 1 }
        }
        return (lo..<storage.count).map(at)
    }
}
