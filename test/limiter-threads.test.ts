/**
 * How `maxThreads` and a limiter combine (after anyio): a limiter passed explicitly bounds
 * concurrency by itself, and the pool grows to what it grants; `maxThreads` bounds only
 * tasks of the default limiter.
 */
import { availableParallelism } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { CapacityLimiter, defaultThreadLimiter } from '../dist/index.js'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'
import { until } from './catch.ts'

afterEach(closeAll)

/** Counters of the `gated` fixture: [running, most at once, started, gate open]. */
const counters = () => new Int32Array(new SharedArrayBuffer(16))
/** More tasks at once than this machine has cores, and than `maxThreads` defaults to. */
const beyondCores = Math.max(availableParallelism(), 2) + 1

describe(`a limiter bounds run() by itself (${runtime}/${backendName})`, () => {
  it(`lets a limiter of ${beyondCores} run ${beyondCores} tasks at once, more than the cores`, async () => {
    const shared = counters()
    const limiter = new CapacityLimiter(beyondCores)
    const b = bridge()
    const handle = b.load(fixture('tasks.js')).with({ limiter })
    const all = Promise.all(Array.from({ length: beyondCores + 1 }, () => handle.run('gated', shared.buffer)))
    try {
      await until(() => shared[2] === beyondCores, `${beyondCores} tasks started`)
      expect(limiter.statistics()).toMatchObject({ borrowedTokens: beyondCores, tasksWaiting: 1 })
      expect(b.stats().threads).toBe(beyondCores)
    } finally {
      shared[3] = 1 // open the gate
    }
    await all
    expect(shared[1]).toBe(beyondCores) // the most that ran at once: the limiter's tokens
    expect(shared[2]).toBe(beyondCores + 1)
  })

  it('lets the bridge limiter grow the pool beyond an explicit maxThreads', async () => {
    const shared = counters()
    const limiter = new CapacityLimiter(3)
    const handle = bridge({ limiter, pool: { maxThreads: 1 } }).load(fixture('tasks.js'))
    const all = Promise.all(Array.from({ length: 4 }, () => handle.run('gated', shared.buffer)))
    try {
      await until(() => shared[2] === 3, '3 tasks started')
    } finally {
      shared[3] = 1
    }
    await all
    expect(shared[1]).toBe(3)
  })

  it('bounds tasks of the default limiter by maxThreads', async () => {
    expect(defaultThreadLimiter().totalTokens).toBeGreaterThan(2)
    const shared = counters()
    const b = bridge({ pool: { maxThreads: 2 } })
    const handle = b.load(fixture('tasks.js'))
    const all = Promise.all(Array.from({ length: 4 }, () => handle.run('gated', shared.buffer)))
    try {
      await until(() => shared[2] === 2, '2 tasks started')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(shared[2]).toBe(2) // no third while two hold the threads
      expect(b.stats().queued).toBe(2)
    } finally {
      shared[3] = 1
    }
    await all
    expect(shared[1]).toBe(2)
  })

  it('lets default-limiter tasks use at most maxThreads threads even when more are idle', async () => {
    const shared = counters()
    // No idle stop while the test looks (Deno stops idle pool threads after 250 ms by default).
    const b = bridge({ pool: { maxThreads: 1, idleTimeout: 60_000 } })
    const handle = b.load(fixture('tasks.js'))
    const limiter = new CapacityLimiter(3)
    // Three threads start for the limited tasks, then idle.
    const wide = Promise.all(Array.from({ length: 3 }, () => handle.with({ limiter }).run('gated', shared.buffer)))
    await until(() => shared[2] === 3, '3 limited tasks started')
    shared[3] = 1
    await wide
    expect(b.stats().threads).toBe(3)
    const gate = counters()
    const narrow = Promise.all(Array.from({ length: 3 }, () => handle.run('gated', gate.buffer)))
    try {
      await until(() => gate[2] === 1, 'a default task started')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(gate[2]).toBe(1)
    } finally {
      gate[3] = 1
    }
    await narrow
    expect(gate[1]).toBe(1)
  })
})
