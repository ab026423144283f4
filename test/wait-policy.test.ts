/**
 * The worker's half of the adaptive wait, with real workers: after answering, a worker
 * polls for the next call only while the host blocked on it spins and reads its answers.
 * An answer left unread means the host is not running (on a busy machine: waiting for the
 * core the worker spins on), and a host that parks at once needs a core to wake up on:
 * polling on would only hold that core. The unit tests of the host's spin budget are in
 * src/host/adaptive-spin.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'
import type * as HostCalls from './fixtures/host-calls.js'

afterEach(closeAll)

/**
 * A worker that would otherwise poll for 4 s after each answer, its event loop stalled
 * meanwhile, and how long the host waits for the worker's timer: well under the poll, so
 * only a worker that stopped polling passes; thousands of times what that takes.
 */
const LONG_POLL = { workerSpinMicros: 4_000_000 }
const BOUND_MS = 2_500

describe(`worker pickup window (${runtime} runtime, ${backendName} backend)`, () => {
  it('a worker whose answer the blocked host leaves unread stops polling and returns to its event loop', () => {
    let flagSeen: boolean | undefined
    const shared = new SharedArrayBuffer(8) // the worker gets it as an argument, the host function by closure
    const expose = {
      getConfig: (key: string) => ({ key, value: key.toUpperCase() }),
      // Runs on the host, inside its runSync, while the worker answers: the answer stays unread.
      spinUntilFlag: () => {
        const slots = new Int32Array(shared)
        Atomics.store(slots, 1, 1)
        const end = Date.now() + BOUND_MS
        while (Atomics.load(slots, 0) === 0 && Date.now() < end) {}
        flagSeen = Atomics.load(slots, 0) === 1
      },
    }
    const calls = bridge({ expose, wait: { ...LONG_POLL, workerPickupMicros: 20 } }).load<typeof HostCalls>(fixture('host-calls.js'))
    expect(calls.runSync('configSync', 'warm')).toEqual({ key: 'warm', value: 'WARM' }) // started, module loaded
    expect(calls.runSync('answerWhileHostBusy', shared)).toBe('answered')
    expect(flagSeen).toBe(true)
  })

  it('a worker whose host parks at once returns to its event loop right after answering', () => {
    // spinMicros 0: the host never spins, so no request carries Flag.Spinning. With a 4 s
    // pickup window and a 4 s poll, only a worker that parks after answering runs its timer.
    const shared = new SharedArrayBuffer(8)
    const expose = { getConfig: (key: string) => ({ key, value: key.toUpperCase() }) }
    const wait = { ...LONG_POLL, workerPickupMicros: 4_000_000, spinMicros: 0 }
    const calls = bridge({ expose, wait }).load<typeof HostCalls>(fixture('host-calls.js'))
    expect(calls.runSync('configSync', 'warm')).toEqual({ key: 'warm', value: 'WARM' }) // started, module loaded
    expect(calls.runSync('flagFromTimer', shared)).toBe('scheduled')
    expect(Atomics.wait(new Int32Array(shared), 0, 0, BOUND_MS)).not.toBe('timed-out')
  })

  it('a stale doorbell does not hold up the worker: a first call loads its module at once despite a 10 s poll', () => {
    // The first request rings the doorbell of a worker still booting, which takes the request
    // on its first poll; polling again for that doorbell would stall the module's loading.
    const tasks = bridge({ wait: { workerSpinMicros: 10_000_000 }, startupTimeout: 5_000 }).load(fixture('tasks.js'))
    expect(tasks.runSync('add', 1, 2)).toBe(3)
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
