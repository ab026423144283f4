/**
 * The worker's half of the adaptive wait, with real workers: after answering, a worker
 * polls for the next call only while the host reads its answers. An answer left unread
 * means the host is not running (on a busy machine: waiting for the core the worker
 * spins on), and polling on would only hold that core. The unit tests of the spin
 * budget itself are in src/shared/wait-policy.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'

afterEach(closeAll)

/**
 * A worker that would otherwise poll for 4 s after each answer, its event loop stalled
 * meanwhile (the first task also waits out the worker's first poll: it needs the loop to
 * load its module), and how long the host waits for the worker's timer: well under the
 * poll, so only a worker that stopped polling passes; thousands of times what it takes.
 */
const LONG_POLL = { workerSpinMicros: 4_000_000 }
const BOUND_MS = 2_500

/** Busy-waits (this thread's event loop stalled, so no answer is read) until slot 0 of `shared` is set, or `ms` pass. */
function spinUntilFlag(shared: SharedArrayBuffer, ms: number): boolean {
  const flag = new Int32Array(shared)
  const end = Date.now() + ms
  while (Date.now() < end) if (Atomics.load(flag, 0) === 1) return true
  return false
}

describe(`worker pickup window (${runtime} runtime, ${backendName} backend)`, () => {
  it('a worker whose answer stays unread stops polling and returns to its event loop', async () => {
    const b = bridge({ wait: { ...LONG_POLL, workerPickupMicros: 20 }, pool: { minThreads: 1, maxThreads: 1 } })
    const pool = b.load(fixture('pool-tasks.js'))
    expect(typeof (await pool.run('threadMark'))).toBe('number') // the thread is up and its module loaded
    const shared = new SharedArrayBuffer(4)
    const answer = pool.run('flagFromTimer', shared)
    // This thread never returns to its event loop here, so the pool never reads the
    // answer: the worker's timer fires only if the worker stopped polling.
    expect(spinUntilFlag(shared, BOUND_MS)).toBe(true)
    expect(await answer).toBe('answered')
  })

  it('loses no call when the worker parks right after every answer (a zero window)', () => {
    // With no window the worker parks whenever the host has not read the answer yet, so
    // most calls ring the doorbell: the parked flag and the request must never miss each other.
    const b = bridge({ wait: { workerSpinMicros: 200, workerPickupMicros: 0, spinMicros: 0 } })
    const tasks = b.load(fixture('tasks.js'))
    let total = 0
    for (let i = 0; i < 2000; i++) total += tasks.runSync('add', i, 0) as number
    expect(total).toBe((1999 * 2000) / 2)
  })
})
