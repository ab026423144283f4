/**
 * The wait policy: how a thread waits for the other side of the channel. Both threads
 * read it (the worker its `worker*` knobs); the host's waits live in `host/wait.ts`, the
 * worker's in `worker/serve.ts`.
 *
 * Handing a call over through the kernel (a futex wake, a doorbell message) costs 20–40 µs
 * per round trip on a small machine, while a call into a warm worker on a free core takes
 * about 1 µs. So both sides spin on `Atomics.load` for a short, bounded time, then park:
 * the host on `Atomics.wait` in slices (between slices it checks the deadline and whether
 * the worker is still alive), the worker by returning to its event loop (the next call
 * rings a doorbell).
 *
 * Spinning pays only while the other side runs on another core. When the two threads
 * share a core (a busy machine, a container with one CPU), a spin holds the core the
 * other side needs to answer, and costs its whole budget. Both sides notice this by what
 * their spins achieve, and stop spinning (`AdaptiveSpin`):
 * - the host: a call not answered within its spin;
 * - the worker: an answer that a host blocked in `runSync` did not read within
 *   `workerPickupMicros` (a host that runs reads it within a microsecond), so the worker
 *   returns to its event loop at once instead of polling for the next call while the
 *   host waits for the core.
 * Each keeps probing with its full budget now and then, and spins again once a probe pays.
 */

/** Knobs of the wait policy. All optional; defaults in {@link DEFAULT_WAIT_POLICY}. */
export interface WaitPolicy {
  /**
   * Longest time the host spins before parking, in microseconds. The host spins this long
   * while calls are answered within it; after four in a row that were not (slow calls, or
   * a worker that waits for the host's core), it spins only `minSpinMicros`, except on
   * probes, which spin the full time to find out whether calls got fast again: one call in
   * 16, and half as often after each probe that misses, down to one in 1024.
   */
  readonly spinMicros: number
  /** Shortest spin, used once calls have shown themselves slower than `spinMicros`. */
  readonly minSpinMicros: number
  /**
   * How long the worker keeps polling for the next call after answering one, in
   * microseconds, before it returns to its event loop and waits for a doorbell.
   */
  readonly workerSpinMicros: number
  /**
   * How long the worker polls after answering while the host blocked on the answer
   * (`runSync`) has not read it, in microseconds. A host that runs reads it at once; one
   * that has not is waiting for a core (often the one this worker spins on), so the worker
   * returns to its event loop. After four answers in a row left unread this long, the
   * worker does so at once, with probes as for `spinMicros`. (A pool reads answers on its
   * event loop, when it gets to them: its threads poll `workerSpinMicros` regardless.)
   */
  readonly workerPickupMicros: number
  /**
   * The longest single park on `Atomics.wait`, in milliseconds. Between parks the host
   * checks its deadline and asks the backend whether the worker is still alive, which
   * bounds how late a death without an exit hook (terminate, out of memory) is noticed.
   */
  readonly parkSliceMillis: number
}

/**
 * The defaults: tuned on 2-core machines where a warm round trip takes about 1 µs on free
 * cores, and a hand-over through the kernel about 20 µs when both threads share one.
 */
export const DEFAULT_WAIT_POLICY: WaitPolicy = Object.freeze({
  spinMicros: 100,
  minSpinMicros: 0,
  workerSpinMicros: 200,
  workerPickupMicros: 20,
  parkSliceMillis: 25,
})

/** The worker's part of the policy, sent to it at start-up. */
export type WorkerWaitPolicy = Pick<WaitPolicy, 'workerSpinMicros' | 'workerPickupMicros'>

/** Checks a partial policy and fills it in with defaults. */
export function resolveWaitPolicy(partial: Partial<WaitPolicy> | undefined): WaitPolicy {
  const policy = { ...DEFAULT_WAIT_POLICY, ...partial }
  for (const [key, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`wait.${key} must be a finite number >= 0, got ${String(value)}`)
    }
  }
  if (policy.parkSliceMillis < 1) throw new RangeError('wait.parkSliceMillis must be at least 1')
  return Object.freeze(policy)
}

/** A monotonic clock in milliseconds, with sub-millisecond precision. */
export const now: () => number = () => performance.now()

/** Waits in a row that must miss before `AdaptiveSpin` spins only the minimum. */
const MISSES_TO_SLOW = 4
/** While slow, a probe every this many waits at first, and after a probe that paid. */
const FIRST_PROBE_EVERY = 16
/** Each missed probe doubles the interval, up to this. */
const LAST_PROBE_EVERY = 1024

/**
 * Decides how long the next spin lasts. While spins pay (the other side answers within
 * the full budget), spin the full budget. After four in a row that did not, spin only the
 * minimum, so a slow call, or a thread waiting for the core this one holds, costs almost
 * no CPU; but spin the full budget on a probe now and then, and go back to full spins as
 * soon as a probe pays. Probes come every 16 waits, and each probe that misses halves
 * their rate (down to one in 1024): on a machine that stays busy they cost almost nothing,
 * and full spins come back within about a thousand calls once it is free. (Judging by
 * measured call times would lock into the slow mode: once a side parks, every call also
 * pays the wake-up and looks slow.) The host uses one per bridge thread, the worker one
 * for its pickup window.
 */
export class AdaptiveSpin {
  private slow = false
  private misses = 0
  private sinceProbe = 0
  private probeEvery = FIRST_PROBE_EVERY
  private probing = true

  constructor(
    private readonly maxMicros: number,
    private readonly minMicros: number,
  ) {}

  /** The spin budget for the next wait, in milliseconds (the unit of performance.now). */
  budgetMillis(): number {
    this.probing = !this.slow || ++this.sinceProbe >= this.probeEvery
    if (this.probing) this.sinceProbe = 0
    return (this.probing ? this.maxMicros : this.minMicros) / 1000
  }

  /** Records whether the last wait's spin paid: the other side answered while it spun. */
  record(paid: boolean): void {
    if (!this.probing) return
    if (paid) {
      this.slow = false
      this.misses = 0
      this.probeEvery = FIRST_PROBE_EVERY
    } else if (this.slow) {
      this.probeEvery = Math.min(this.probeEvery * 2, LAST_PROBE_EVERY)
    } else if (++this.misses >= MISSES_TO_SLOW) {
      this.slow = true
    }
  }
}
