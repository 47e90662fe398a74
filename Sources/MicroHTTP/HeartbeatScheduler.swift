import Dispatch
import Synchronization

/// Sends a comment to every registered stream on a timer, one timer per
/// distinct interval. A suspended connection only notices a vanished peer
/// when it next writes, so heartbeats are also how dead peers get reaped.
final class HeartbeatScheduler: Sendable {
    private final class Bucket: @unchecked Sendable {
        // Guarded by the scheduler's lock.
        var streams: [Int: EventStream] = [:]
        let timer: DispatchSourceTimer
        init(timer: DispatchSourceTimer) { self.timer = timer }
    }

    private let comment: String
    private let buckets = Locked<[Double: Bucket]>([:])
    private let queue = DispatchQueue(label: "MicroHTTP.heartbeats")

    init(comment: String) { self.comment = comment }

    func add(_ stream: EventStream, interval: Double) {
        guard interval > 0 else { return }
        buckets.withLock { b in
            if let bucket = b[interval] {
                bucket.streams[stream.id] = stream
                return
            }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            let bucket = Bucket(timer: timer)
            bucket.streams[stream.id] = stream
            b[interval] = bucket
            timer.schedule(deadline: .now() + interval, repeating: interval,
                           leeway: .milliseconds(Int(min(1000, interval * 100))))
            timer.setEventHandler { [weak self] in self?.beat(interval) }
            timer.resume()
        }
    }

    func remove(_ stream: EventStream, interval: Double) {
        guard interval > 0 else { return }
        buckets.withLock { b in
            guard let bucket = b[interval] else { return }
            bucket.streams.removeValue(forKey: stream.id)
            if bucket.streams.isEmpty {
                bucket.timer.cancel()
                b.removeValue(forKey: interval)
            }
        }
    }

    func cancelAll() {
        buckets.withLock { b in
            for bucket in b.values { bucket.timer.cancel() }
            b = [:]
        }
    }

    private func beat(_ interval: Double) {
        let streams: [EventStream] = buckets.withLock { b in
            b[interval].map { Array($0.streams.values) } ?? []
        }
        for stream in streams { stream.sendComment(comment) }
    }
}
