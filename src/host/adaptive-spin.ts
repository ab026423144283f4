/**
 * How long a thread blocked in `runSync` spins before it parks, learned from what its
 * spins achieve (see `shared/wait-policy.ts` for the policy as a whole). One per
 * `BlockingThread`; `wait.ts` spends the budget.
 */
import { now } from '../shared/wait-policy.ts'

/** Waits in a row that must miss before `AdaptiveSpin` spins only the minimum. */
const MISSES_TO_SLOW = 4
/** While slow, a probe every this many waits at first, and after a probe that paid. */
const FIRST_PROBE_EVERY = 16
/** Each missed probe doubles the interval, up to this. */
const LAST_PROBE_EVERY = 1024
/** While slow, a probe at least this often (ms), however few the waits. */
export const PROBE_AT_LEAST_EVERY_MILLIS = 10

/**
 * Decides how long the next spin lasts. While spins pay (the other side answers within
 * the full budget), spin the full budget. After four in a row that did not, spin only the
 * minimum, so a slow call, or a thread waiting for the core this one holds, costs almost
 * no CPU; but spin the full budget on a probe now and then, and go back to full spins as
 * soon as a probe pays. (Judging by measured call times would lock into the slow mode:
 * once a side parks, every call also pays the wake-up and looks slow.)
 *
 * Probes come every 16 waits, each probe that misses halves their rate (down to one in
 * 1024), and one comes at least every 10 ms: on a machine that stays busy they cost about
 * 1% (a missed probe spins 100 µs), and full spins come back within 10 ms once it is
 * free. Without the time bound, a busy spell (another process, or the runtime's own
 * compiler and GC threads while it warms up) left a thread in the slow mode for up to a
 * thousand calls after it ended, each paying a wake-up of 20–80 µs.
 *
 * A probe whose request had to wake a parked worker (a doorbell through its event loop)
 * measured that wake-up, not the spin: it is judged by the next wait instead, which finds
 * the worker polling, since a spinning host's worker polls after answering.
 */
export class AdaptiveSpin {
  private slow = false
  private misses = 0
  private sinceProbe = 0
  private probeEvery = FIRST_PROBE_EVERY
  /** While slow: when the next probe is due at the latest (a `clock()` time). */
  private probeBy = 0
  private probing = true
  /** The last probe woke the worker: the next wait probes again and is judged instead. */
  private deferred = false
  /** The budget `plan()` gave the wait in progress, in milliseconds (the unit of performance.now). */
  budgetMillis: number

  constructor(
    private readonly maxMicros: number,
    private readonly minMicros: number,
    private readonly clock: () => number = now,
  ) {
    this.budgetMillis = maxMicros / 1000
  }

  /** Plans the next wait: returns its spin budget in milliseconds, also kept in `budgetMillis`. */
  plan(): number {
    this.probing = !this.slow || this.deferred || ++this.sinceProbe >= this.probeEvery || this.clock() >= this.probeBy
    if (this.probing) {
      this.sinceProbe = 0
      if (this.slow) this.probeBy = this.clock() + PROBE_AT_LEAST_EVERY_MILLIS
    }
    this.budgetMillis = (this.probing ? this.maxMicros : this.minMicros) / 1000
    return this.budgetMillis
  }

  /**
   * Records whether the planned wait's spin paid: the other side answered while it spun.
   * `wokeWorker`: its request had to wake a parked worker first.
   */
  record(paid: boolean, wokeWorker = false): void {
    if (!this.probing) return
    if (this.slow && !paid && wokeWorker && !this.deferred) {
      this.deferred = true
      return
    }
    this.deferred = false
    if (paid) {
      this.slow = false
      this.misses = 0
      this.probeEvery = FIRST_PROBE_EVERY
    } else if (this.slow) {
      this.probeEvery = Math.min(this.probeEvery * 2, LAST_PROBE_EVERY)
    } else if (++this.misses >= MISSES_TO_SLOW) {
      this.slow = true
      this.probeBy = this.clock() + PROBE_AT_LEAST_EVERY_MILLIS
    }
  }
}
