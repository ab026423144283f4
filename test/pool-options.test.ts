/** Pool options: maxQueue 'auto', maxTasksPerWorker, maxWorkerMemoryMB, workerData, backpressure (needsDrain, drained). */
import { afterEach, describe, expect, it } from 'vitest'
import { CapacityLimiter, QueueFullError, createBridge } from '../dist/index.js'
import type * as PoolTasks from './fixtures/pool-tasks.js'
import { backendName, bridge, closeAll, fixture, makeBackend, runtime } from './harness.ts'
import { rejection, thrown, until } from './catch.ts'

afterEach(closeAll)

const counters = () => new Int32Array(new SharedArrayBuffer(16))
const load = (b: ReturnType<typeof bridge>) => b.load<typeof PoolTasks>(fixture('pool-tasks.js'))

describe(`pool options (${runtime}/${backendName})`, () => {
  it("maxQueue 'auto' lets maxThreads squared tasks wait", async () => {
    const b = bridge({ pool: { maxThreads: 2, maxQueue: 'auto' } })
    const handle = load(b)
    const shared = counters()
    const accepted = Array.from({ length: 2 + 4 }, () => handle.run('gated', shared.buffer))
    try {
      expect(b.stats().queued).toBe(4)
      expect(await rejection(handle.run('gated', shared.buffer))).toBeInstanceOf(QueueFullError)
    } finally {
      shared[3] = 1
    }
    expect(await Promise.all(accepted)).toEqual(Array(6).fill('opened'))
  })

  it('maxQueue also bounds tasks waiting for a limiter token', async () => {
    const limiter = new CapacityLimiter(1)
    const b = bridge({ limiter, pool: { maxQueue: 1 } })
    const handle = load(b)
    const shared = counters()
    const running = handle.run('gated', shared.buffer)
    const waiting = handle.run('gated', shared.buffer)
    try {
      expect(b.stats().queued).toBe(1)
      const error = await rejection(handle.run('gated', shared.buffer))
      expect(error).toBeInstanceOf(QueueFullError)
      expect(error.code).toBe('ERR_ANYTHREAD_QUEUE_FULL')
    } finally {
      shared[3] = 1
    }
    expect(await Promise.all([running, waiting])).toEqual(['opened', 'opened'])
  })

  it('maxTasksPerWorker replaces a thread between tasks after that many', async () => {
    const handle = load(bridge({ pool: { maxThreads: 1, maxTasksPerWorker: 2 } }))
    const first = await handle.run('threadMark')
    expect(await handle.run('threadMark')).toBe(first)
    const second = await handle.run('threadMark') // a new thread
    expect(second).not.toBe(first)
    expect(await handle.run('threadMark')).toBe(second)
    expect(await handle.run('threadMark')).not.toBe(second)
  })

  it('maxWorkerMemoryMB replaces a thread whose heap grew past it', async () => {
    const handle = load(bridge({ pool: { maxThreads: 1, maxWorkerMemoryMB: 48 } }))
    const first = await handle.run('threadMark')
    await handle.run('retain', 1)
    expect(await handle.run('threadMark')).toBe(first) // a small heap stays
    await handle.run('retain', 96) // leaks about 96 MiB: the thread goes after this task
    const second = await handle.run('threadMark')
    expect(second).not.toBe(first)
    expect(await handle.run('retain', 0)).toBe(0) // the new thread starts with an empty heap
  })

  it('keeps a thread without maxWorkerMemoryMB, however much it holds', async () => {
    const handle = load(bridge({ pool: { maxThreads: 1 } }))
    const first = await handle.run('threadMark')
    await handle.run('retain', 96)
    expect(await handle.run('threadMark')).toBe(first)
  })

  it('rejects a maxWorkerMemoryMB that is not a positive number', () => {
    expect(thrown(() => createBridge({ backend: makeBackend(), pool: { maxWorkerMemoryMB: 0 } }))).toBeInstanceOf(RangeError)
  })
})

describe(`workerData (${runtime}/${backendName})`, () => {
  it('reaches the modules of every thread of the bridge: runSync, run() and portals', async () => {
    const workerData = { region: 'eu', limits: new Map([['a', 1]]) }
    const b = bridge({ workerData })
    const handle = load(b)
    expect(handle.runSync('readWorkerData')).toEqual(workerData)
    expect(await handle.run('readWorkerData')).toEqual(workerData)
    const portal = b.startBlockingPortal()
    try {
      expect(portal.load<typeof PoolTasks>(fixture('pool-tasks.js')).runSync('readWorkerData')).toEqual(workerData)
    } finally {
      portal.stop()
    }
  })

  it('is undefined when the bridge gives none', async () => {
    expect(await load(bridge()).run('readWorkerData')).toBeUndefined()
  })

  it('must be cloneable: createBridge throws a DataCloneError', () => {
    const error = thrown(() => createBridge({ backend: makeBackend(), workerData: { fn: () => 1 } }))
    expect(error.name).toBe('DataCloneError')
  })
})

describe(`backpressure (${runtime}/${backendName})`, () => {
  it('needsDrain turns true when maxThreads tasks wait, and drained() resolves when none does', async () => {
    const b = bridge({ pool: { maxThreads: 1 } })
    const handle = load(b)
    expect(b.needsDrain).toBe(false)
    await b.drained() // nothing queued: at once
    const shared = counters()
    const first = handle.run('gated', shared.buffer)
    await until(() => shared[2] === 1, 'the first task started')
    expect(b.needsDrain).toBe(false)
    const second = handle.run('gated', shared.buffer)
    expect(b.needsDrain).toBe(true) // one waits: a whole round of work for one thread
    let drained = false
    const draining = b.drained().then(() => (drained = true))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(drained).toBe(false)
    shared[3] = 1
    await draining
    expect(b.stats().queued).toBe(0)
    expect(b.needsDrain).toBe(false)
    await Promise.all([first, second])
  })

  it('needsDrain follows maxQueue when it is set', async () => {
    const b = bridge({ pool: { maxThreads: 1, maxQueue: 3 } })
    const handle = load(b)
    const shared = counters()
    const all = Array.from({ length: 3 }, () => handle.run('gated', shared.buffer))
    try {
      await until(() => shared[2] === 1, 'the first task started')
      expect(b.needsDrain).toBe(false) // 2 waiting of 3
      all.push(handle.run('gated', shared.buffer))
      expect(b.needsDrain).toBe(true)
    } finally {
      shared[3] = 1
    }
    await Promise.all(all)
    expect(b.needsDrain).toBe(false)
  })
})
