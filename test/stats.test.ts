/** `bridge.stats()`: threads by kind, queued and completed tasks, time summaries, utilization, limiter statistics. */
import { afterEach, describe, expect, it } from 'vitest'
import { CapacityLimiter } from '../dist/index.js'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'
import { until } from './catch.ts'

afterEach(closeAll)

const counters = () => new Int32Array(new SharedArrayBuffer(16))

describe(`bridge.stats() (${runtime}/${backendName})`, () => {
  it('counts threads by kind: the sync worker, the pool, the portals', async () => {
    // No idle stop meanwhile (Deno stops idle workers after 250 ms by default).
    const b = bridge({ idleTimeout: 60_000, pool: { maxThreads: 2, idleTimeout: 60_000 } })
    const handle = b.load(fixture('tasks.js'))
    expect(b.stats().threadsByKind).toEqual({ sync: 0, pool: 0, portals: 0 })
    handle.runSync('add', 1, 1)
    const shared = counters()
    const all = Promise.all([handle.run('gated', shared.buffer), handle.run('gated', shared.buffer)])
    await until(() => shared[2] === 2, '2 tasks started')
    shared[3] = 1
    await all
    const portal = b.startBlockingPortal()
    try {
      expect(portal.load(fixture('tasks.js')).runSync('add', 2, 2)).toBe(4)
      const stats = b.stats()
      expect(stats.threadsByKind).toEqual({ sync: 1, pool: 2, portals: 1 })
      expect(stats.threads).toBe(4)
    } finally {
      portal.stop()
    }
  })

  it('counts queued tasks right after they were queued, and completed ones', async () => {
    const b = bridge({ pool: { maxThreads: 1 } })
    const handle = b.load(fixture('tasks.js'))
    const shared = counters()
    const all = Promise.all(Array.from({ length: 5 }, () => handle.run('gated', shared.buffer)))
    expect(b.stats().queued).toBe(4) // the first took its token and its thread at once
    await until(() => shared[2] === 1, 'the first task started')
    expect(b.stats()).toMatchObject({ queued: 4, inFlight: 5, completed: 0 })
    shared[3] = 1
    await all
    expect(b.stats()).toMatchObject({ queued: 0, inFlight: 0, completed: 5 })
    await handle.run('throwTypeError', 'x').catch(() => {})
    expect(b.stats().completed).toBe(6) // an error is an answer too
  })

  it('summarises run and wait times', async () => {
    const b = bridge({ pool: { maxThreads: 1 } })
    const handle = b.load(fixture('tasks.js'))
    const empty = b.stats().runTime
    expect(empty).toEqual({ count: 0, mean: 0, p50: 0, p99: 0, max: 0 })
    await handle.run('add', 1, 1) // warm the thread
    await Promise.all([handle.run('delay', 60, 1), handle.run('delay', 60, 2), handle.run('add', 1, 2)])
    const { runTime, waitTime } = b.stats()
    expect(runTime.count).toBe(4)
    expect(runTime.max).toBeGreaterThanOrEqual(55) // a delay(60) ran at least about that long
    expect(runTime.p50).toBeLessThanOrEqual(runTime.p99)
    expect(runTime.p99).toBeLessThanOrEqual(runTime.max)
    expect(runTime.mean).toBeGreaterThan(0)
    expect(waitTime.count).toBe(4)
    expect(waitTime.max).toBeGreaterThanOrEqual(100) // the third task waited for two delays on one thread
  })

  it('reports utilization over the recent window, between 0 and 1', async () => {
    const b = bridge({ pool: { maxThreads: 1 } })
    const handle = b.load(fixture('tasks.js'))
    expect(b.stats().utilization).toBe(0)
    await handle.run('add', 1, 1)
    const shared = counters()
    const running = handle.run('gated', shared.buffer)
    await until(() => shared[2] === 1, 'the task started')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const busy = b.stats().utilization // the one thread has been busy for the last 300 ms at least
    shared[3] = 1
    await running
    expect(busy).toBeGreaterThan(0)
    expect(busy).toBeLessThanOrEqual(1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const later = b.stats().utilization
    expect(later).toBeGreaterThan(0) // the busy time is still in the window
    expect(later).toBeLessThan(busy + 0.0001) // idle time since only adds to the denominator
  })

  it('serializes limiter statistics with meaningful borrowers', async () => {
    const limiter = new CapacityLimiter(3)
    const b = bridge({ limiter })
    const handle = b.load(fixture('tasks.js'))
    const token = await limiter.acquire()
    const shared = counters()
    const running = handle.run('gated', shared.buffer)
    await until(() => shared[2] === 1, 'the task started')
    try {
      const json = JSON.parse(JSON.stringify(b.stats().limiter))
      expect(json).toMatchObject({ borrowedTokens: 2, totalTokens: 3, tasksWaiting: 0 })
      expect(json.borrowers).toEqual([
        { kind: 'token', token: token.number, held: true },
        { kind: 'run', task: 1, name: 'gated', module: fixture('tasks.js').href },
      ])
    } finally {
      shared[3] = 1
      token.release()
    }
    await running
    expect(JSON.stringify(limiter.statistics().borrowers)).toBe('[]')
  })
})
