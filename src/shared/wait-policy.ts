/**
 * The wait policy: how a thread waits for the other side of the channel. Both threads
 * read it (the worker its `worker*` knobs); the host's waits live in `host/wait.ts` and
 * `host/adaptive-spin.ts`, the worker's in `worker/serve.ts`.
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
 * other side needs to answer, and costs its whole budget. So the host learns from what
 * its spins achieve (`AdaptiveSpin`): after calls not answered within its spin it parks
 * at once, probing with a full spin now and then. Each request says whether its caller
 * spins for the answer (`Flag.Spinning`), and the worker follows the host's lead:
 * - the host spins: the worker polls for the next call after answering, but stops if the
 *   answer stays unread for `workerPickupMicros` (a host that runs reads it within a
 *   microsecond; one that has not is waiting for a core, likely the one the worker holds);
 * - the host parks at once: the worker returns to its event loop right after answering,
 *   since its polling would only hold a core the host may need to wake up on.
 * (One learner, not one per side: two that each judge their spins by the other's speed
 * lock each other in the slow mode, each probe landing while the other side parks.)
 */

/** Knobs of the wait policy. All optional; defaults in {@link DEFAULT_WAIT_POLICY}. */
export interface WaitPolicy {
  /**
   * Longest time the host spins before parking, in microseconds. The host spins this long
   * while calls are answered within it; after four in a row that were not (slow calls, or
   * a worker that waits for the host's core), it spins only `minSpinMicros`, except on
   * probes, which spin the full time to find out whether calls got fast again: one call in
   * 16, half as often after each probe that misses (down to one in 1024), and at least one
   * every 10 ms.
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
   * How long the worker polls after answering while the host spinning for the answer in
   * `runSync` has not read it, in microseconds. A host that runs reads it at once; one that
   * has not is waiting for a core (often the one this worker spins on), so the worker
   * returns to its event loop. A host that parks at once (its spins did not pay) gets no
   * polling at all: the worker returns to its event loop right after answering. (A pool
   * reads answers on its event loop, when it gets to them: its threads poll
   * `workerSpinMicros` regardless.)
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
