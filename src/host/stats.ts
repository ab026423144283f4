/**
 * What `stats()` measures over time: duration summaries (a bounded reservoir of recent
 * samples) and how busy the pool's threads were over a recent window. One implementation,
 * used by the pool; cheap enough to record on every task.
 */

/** A summary of durations in milliseconds, from `stats().runTime` and `stats().waitTime`. */
export interface DurationSummary {
  /** Samples recorded since the bridge was created. */
  readonly count: number
  /** Mean of every sample since the bridge was created, ms (0 without samples). */
  readonly mean: number
  /** Median of the last 1024 samples (`RESERVOIR_SIZE`), ms (0 without samples). */
  readonly p50: number
  /** 99th percentile of the last 1024 samples, ms (0 without samples). */
  readonly p99: number
  /** Largest sample since the bridge was created, ms (0 without samples). */
  readonly max: number
}

/** How many recent samples the percentiles are computed from. */
export const RESERVOIR_SIZE = 1024

/** Count, mean and max over every sample; percentiles over the last `RESERVOIR_SIZE`. */
export class Durations {
  private readonly recent = new Float64Array(RESERVOIR_SIZE)
  private count = 0
  private sum = 0
  private max = 0

  record(millis: number): void {
    this.recent[this.count % RESERVOIR_SIZE] = millis
    this.count++
    this.sum += millis
    if (millis > this.max) this.max = millis
  }

  summary(): DurationSummary {
    const { count } = this
    if (count === 0) return { count, mean: 0, p50: 0, p99: 0, max: 0 }
    const sorted = this.recent.slice(0, Math.min(count, RESERVOIR_SIZE)).sort()
    const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!
    return { count, mean: this.sum / count, p50: at(0.5), p99: at(0.99), max: this.max }
  }
}

/** The window `utilization` covers, in ms. */
export const UTILIZATION_WINDOW_MILLIS = 10_000
const BUCKET_MILLIS = 100
const BUCKETS = UTILIZATION_WINDOW_MILLIS / BUCKET_MILLIS

/**
 * Busy thread-time in 100 ms buckets over the last {@link UTILIZATION_WINDOW_MILLIS}: a
 * task's run is added to the buckets it spans when it ends; runs still going are added
 * when asked.
 */
export class BusyWindow {
  private readonly busy = new Float64Array(BUCKETS)
  /** The bucket number (time / BUCKET_MILLIS) each slot holds. */
  private readonly slot = new Float64Array(BUCKETS).fill(-1)

  constructor(private readonly since: number) {}

  /** Adds a run from `start` to `end` (ms, on the `now()` clock). */
  record(start: number, end: number): void {
    const oldest = end - UTILIZATION_WINDOW_MILLIS
    for (let from = Math.max(start, oldest); from < end; ) {
      const bucket = Math.floor(from / BUCKET_MILLIS)
      const to = Math.min(end, (bucket + 1) * BUCKET_MILLIS)
      this.add(bucket, to - from)
      from = to
    }
  }

  /**
   * Busy thread-time over the window ending at `at`, divided by `capacity` threads times
   * the window (or the time since `since`, if shorter). `running` are the start times of
   * runs still going.
   */
  utilization(at: number, capacity: number, running: Iterable<number>): number {
    const span = Math.min(UTILIZATION_WINDOW_MILLIS, at - this.since)
    if (span <= 0 || capacity <= 0) return 0
    const first = Math.floor((at - span) / BUCKET_MILLIS)
    let busy = 0
    for (let index = 0; index < BUCKETS; index++) if (this.slot[index]! >= first) busy += this.busy[index]!
    for (const start of running) busy += at - Math.max(start, at - span)
    return busy / (span * capacity)
  }

  private add(bucket: number, millis: number): void {
    const index = bucket % BUCKETS
    if (this.slot[index] !== bucket) {
      this.slot[index] = bucket
      this.busy[index] = 0
    }
    this.busy[index]! += millis
  }
}
