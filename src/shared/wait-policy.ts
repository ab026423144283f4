/**
 * The wait policy: how a thread waits for the other side of the channel. Both threads
 * read it (the worker its `workerSpinMicros`); the host's waits live in `host/wait.ts`.
 *
 * Parking on a futex costs 25–50 µs per round trip on a small machine, while a call into
 * a warm worker takes about 1 µs. So both sides spin on `Atomics.load` for a short,
 * bounded, adaptive time, then park: the host on `Atomics.wait` in slices (between slices
 * it checks the deadline and whether the worker is still alive), the worker by returning
 * to its event loop and asking for a doorbell message.
 */

/** Knobs of the wait policy. All optional; defaults in {@link DEFAULT_WAIT_POLICY}. */
export interface WaitPolicy {
  /**
   * Longest time the host spins before parking, in microseconds. The host spins this long
   * while calls are answered within it; after four in a row that were not, it spins only
   * `minSpinMicros` (so a slow call costs almost no CPU), except on one call in sixteen,
   * which spins the full time to find out whether calls got fast again.
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
   * The longest single park on `Atomics.wait`, in milliseconds. Between parks the host
   * checks its deadline and asks the backend whether the worker is still alive, which
   * bounds how late a death without an exit hook (terminate, out of memory) is noticed.
   */
  readonly parkSliceMillis: number
}

/** The defaults: tuned on 2-core machines where a warm round trip takes about 1 µs. */
export const DEFAULT_WAIT_POLICY: WaitPolicy = Object.freeze({
  spinMicros: 100,
  minSpinMicros: 5,
  workerSpinMicros: 200,
  parkSliceMillis: 25,
})

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
