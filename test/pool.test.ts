import { afterEach, describe, expect, it } from 'vitest'
import { CapacityLimiter, QueueFullError, TimeoutError, WorkerCrashedError, createBridge } from '../dist/index.js'
import { backendName, bridge, closeAll, exitDelay, fixture, makeBackend, runProgram, runtime, selfExit, tasks } from './harness.ts'
import { rejection, until } from './catch.ts'

afterEach(closeAll)

const counters = () => new Int32Array(new SharedArrayBuffer(16))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe(`run() on the pool (${runtime}/${backendName})`, () => {
  it('returns the awaited value without blocking the event loop', async () => {
    const handle = tasks()
    let ticks = 0
    const ticker = setInterval(() => ticks++, 5)
    try {
      expect(await handle.run('delay', 120, 'done')).toBe('done')
    } finally {
      clearInterval(ticker)
    }
    expect(ticks).toBeGreaterThan(0) // our loop kept running meanwhile
    expect(await handle.run('add', 2, 3)).toBe(5)
  })

  it('runs tasks on several threads at once, up to maxThreads', async () => {
    const shared = counters()
    const handle = tasks({ pool: { maxThreads: 3 } })
    const all = Promise.all(Array.from({ length: 6 }, () => handle.run('gated', shared.buffer)))
    await until(() => shared[2] === 3, '3 tasks started')
    await sleep(50)
    expect(shared[2]).toBe(3) // no fourth started while three hold their threads
    shared[3] = 1 // open the gate
    await all
    expect(shared[1]).toBe(3) // the most that ran at once
    expect(shared[2]).toBe(6)
  })

  it('lets a limiter of 3 run 3 of 4 tasks at once', async () => {
    const shared = counters()
    const limiter = new CapacityLimiter(3)
    const handle = tasks({ pool: { maxThreads: 4 } }).with({ limiter })
    const all = Promise.all(Array.from({ length: 4 }, () => handle.run('gated', shared.buffer)))
    await until(() => shared[2] === 3, '3 tasks started')
    expect(limiter.borrowedTokens).toBe(3)
    expect(limiter.statistics().tasksWaiting).toBe(1)
    shared[3] = 1
    await all
    expect(shared[1]).toBe(3)
    expect(shared[2]).toBe(4)
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('keeps errors as faithful as runSync does', async () => {
    const handle = tasks()
    const error = await rejection(handle.run('throwWithCause'))
    expect(error.message).toBe('outer')
    expect(error.cause.cause).toBeInstanceOf(RangeError)
    expect(await rejection(handle.run('throwTypeError', 'x'))).toBeInstanceOf(TypeError)
    const custom = await rejection(handle.run('throwCustom'))
    expect(custom).toMatchObject({ name: 'ValidationError', code: 'E_INVALID' })
  })

  it('runs no task twice and loses none (2000 tasks, 64 in flight)', async () => {
    const handle = tasks()
    const results: number[] = []
    let next = 0
    const lane = async () => {
      while (next < 2000) {
        const i = next++
        results[i] = (await handle.run('add', i, 1000)) as number
      }
    }
    await Promise.all(Array.from({ length: 64 }, lane))
    expect(results).toHaveLength(2000)
    results.forEach((value, i) => expect(value).toBe(i + 1000))
  })

  it('moves transferred buffers both ways and shares SharedArrayBuffers', async () => {
    const handle = tasks()
    const buffer = new ArrayBuffer(64)
    expect(await handle.with({ transfer: [buffer] }).run('byteLength', buffer)).toBe(64)
    expect(buffer.byteLength).toBe(0)
    const back = (await handle.run('transferBack', 1024)) as Uint8Array
    expect(back.length).toBe(1024)
    expect(back[1023]).toBe(7)
    const shared = new SharedArrayBuffer(8)
    expect(await handle.run('fillShared', shared)).toBe(8)
    expect(new Uint8Array(shared)[7]).toBe(9) // written by the worker, seen here
  })
})

describe(`run() cancellation (${runtime}/${backendName})`, () => {
  it('rejects an already aborted signal without running', async () => {
    const shared = counters()
    const controller = new AbortController()
    controller.abort(new Error('too late'))
    const error = await rejection(tasks().with({ signal: controller.signal }).run('concurrent', shared.buffer, 1))
    expect(error.message).toBe('too late')
    await sleep(20)
    expect(shared[2]).toBe(0)
  })

  it('removes a queued task on abort', async () => {
    const shared = counters()
    const handle = tasks({ pool: { maxThreads: 1 } })
    const first = handle.run('gated', shared.buffer)
    const controller = new AbortController()
    const second = handle.with({ signal: controller.signal }).run('gated', shared.buffer)
    await until(() => shared[2] === 1, 'the first task started')
    controller.abort(new Error('changed my mind'))
    expect((await rejection(second)).message).toBe('changed my mind')
    shared[3] = 1
    expect(await first).toBe(1)
    expect(await handle.run('add', 1, 1)).toBe(2) // the thread is free again
    expect(shared[2]).toBe(1) // the second never started
  })

  it('reaches a running async task through currentSignal() and reuses the thread', async () => {
    const seen = counters()
    const handle = tasks({ pool: { maxThreads: 1 } })
    const mark = await handle.run('threadMark')
    const controller = new AbortController()
    const running = handle.with({ signal: controller.signal }).run('abortAware', seen.buffer)
    await until(() => seen[1] === 1, 'the task listens for the abort')
    controller.abort(new Error('stop now'))
    expect((await rejection(running)).message).toBe('stop now')
    expect(seen[0]).toBe(1) // the worker saw the abort
    expect(await handle.run('threadMark')).toBe(mark) // same thread, reused
  })

  it('reaches sync CPU code through checkCancelled()', async () => {
    const seen = counters()
    const handle = tasks({ pool: { maxThreads: 1 } })
    const error = await rejection(handle.with({ timeout: 500 }).run('cancellableBusy', seen.buffer)) // long enough to have started
    expect(error).toBeInstanceOf(TimeoutError)
    await until(() => seen[0] === 2, 'the task saw its cancellation')
    expect(await handle.run('add', 1, 1)).toBe(2)
  })

  it('with abandonOnCancel rejects at once and holds the token until the thread is done', async () => {
    const limiter = new CapacityLimiter(5)
    const handle = tasks({ pool: { maxThreads: 1 } }).with({ limiter, abandonOnCancel: true })
    const controller = new AbortController()
    const shared = counters()
    const running = handle.with({ signal: controller.signal }).run('gatedSync', shared.buffer)
    await until(() => shared[2] === 1, 'the task started')
    controller.abort(new Error('go away'))
    expect((await rejection(running)).message).toBe('go away') // while the task still runs
    expect(limiter.borrowedTokens).toBe(1) // the thread still works on it
    shared[3] = 1
    await until(() => limiter.borrowedTokens === 0, 'the token came back')
  })

  it('rejects at the deadline although the task ignores it, and keeps the token while the thread drains', async () => {
    const limiter = new CapacityLimiter(1)
    const handle = tasks({ pool: { maxThreads: 1, cancelGrace: 20_000 } }).with({ limiter })
    const mark = await handle.run('threadMark')
    const shared = counters()
    const error = await rejection(handle.with({ timeout: 1_000 }).run('gatedSync', shared.buffer)) // long enough to have started
    expect(error).toBeInstanceOf(TimeoutError)
    expect(shared[2]).toBe(1) // it ran, and still runs: the gate is closed
    expect(limiter.borrowedTokens).toBe(1)
    shared[3] = 1
    await until(() => limiter.borrowedTokens === 0, 'the thread let go of the task')
    expect(await handle.run('threadMark')).toBe(mark) // the same thread, free again
  })

  it('keeps the first cancellation reason and the token while the thread drains', async () => {
    const limiter = new CapacityLimiter(1)
    const controller = new AbortController()
    // The grace outlasts the test: the gate, not the pool giving up, ends the task.
    const handle = tasks({ pool: { maxThreads: 1, cancelGrace: 60_000 } }).with({ limiter })
    expect(await handle.run('add', 1, 1)).toBe(2) // warm: the deadline below runs from a started thread
    const shared = counters()
    // The deadline must come after the abort, even if the task starts late on a busy machine.
    const timeout = 3_000
    const running = handle.with({ signal: controller.signal, timeout }).run('gatedSync', shared.buffer)
    await until(() => shared[2] === 1, 'the task started')
    controller.abort(new Error('first reason'))
    // Past the deadline too (armed before the task was posted, so before it started): host
    // timers fire in deadline order, so the pool's has run by the end of this sleep.
    await sleep(timeout + 100)
    shared[3] = 1
    const error = await rejection(running)
    expect(error.message).toBe('first reason') // not the later timeout
    expect(limiter.borrowedTokens).toBe(0) // rejected only once the thread was done
  })

  it('does not count cancelled tasks against maxQueue', async () => {
    const handle = tasks({ pool: { maxThreads: 1, maxQueue: 1 } })
    const running = handle.run('delay', 300, 'slow')
    const queued = handle.with({ timeout: 30 }).run('add', 1, 1)
    expect(await rejection(queued)).toBeInstanceOf(TimeoutError)
    expect(await handle.run('add', 2, 2)).toBe(4) // the freed queue place is usable
    expect(await running).toBe('slow')
  })

  it('replaces a thread that ignores cancellation past the grace period', async () => {
    const handle = tasks({ pool: { maxThreads: 1, cancelGrace: 100 } })
    const mark = await handle.run('threadMark')
    const shared = counters()
    const controller = new AbortController()
    const running = handle.with({ signal: controller.signal }).run('gatedSync', shared.buffer)
    await until(() => shared[2] === 1, 'the task started')
    controller.abort(new Error('stop'))
    expect((await rejection(running)).message).toBe('stop') // once the pool gave up on the thread
    expect(await handle.run('add', 1, 2)).toBe(3)
    expect(await handle.run('threadMark')).not.toBe(mark) // a new thread
  })
})

describe(`run() faults and limits (${runtime}/${backendName})`, () => {
  it('fails the task of a thread that dies, replaces the thread, and runs the queue', async () => {
    const handle = tasks({ pool: { maxThreads: 1 } })
    const dying = handle.run('exitNow', selfExit, 4)
    const queued = [handle.run('add', 1, 1), handle.run('add', 2, 2), handle.run('add', 3, 3)]
    expect(await rejection(dying)).toBeInstanceOf(WorkerCrashedError)
    expect(await Promise.all(queued)).toEqual([2, 4, 6])
  })

  it('fails a task whose thread crashes in a timer', async () => {
    const error = await rejection(tasks().run('crashInTimer'))
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect(error.cause.message).toBe('boom in a timer')
  })

  it.skipIf(backendName !== 'node' || runtime === 'bun')('rejects tasks whose thread cannot start, leaking nothing', async () => {
    const limiter = new CapacityLimiter(4)
    const b = createBridge({ backend: makeBackend({ execArgv: ['--no-such-flag-for-anythread'] }), limiter })
    try {
      const error = await rejection(b.load(fixture('tasks.js')).run('add', 1, 1))
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(b.stats()).toMatchObject({ inFlight: 0, queued: 0 })
      expect(limiter.borrowedTokens).toBe(0)
    } finally {
      b.close()
    }
  })

  it('rejects with QueueFullError when the queue bound is reached', async () => {
    const handle = tasks({ pool: { maxThreads: 1, maxQueue: 1 } })
    const first = handle.run('delay', 50, 1)
    const second = handle.run('delay', 1, 2)
    expect(await rejection(handle.run('delay', 1, 3))).toBeInstanceOf(QueueFullError)
    expect(await Promise.all([first, second])).toEqual([1, 2])
  })

  it('rejects an argument that cannot be cloned, naming it', async () => {
    const handle = tasks()
    const error = await rejection(handle.run('argCount', 1, Symbol('no')))
    expect(error.name).toBe('DataCloneError')
    expect(error.message).toContain('Argument 2')
    expect(await handle.run('add', 1, 1)).toBe(2)
  })

  it('rejects run() after close()', async () => {
    const b = createBridge({ backend: makeBackend() })
    const handle = b.load(fixture('tasks.js'))
    expect(await handle.run('add', 1, 1)).toBe(2)
    b.close()
    expect((await rejection(handle.run('add', 1, 1))).name).toBe('BridgeClosedError')
  })

  it('stops threads above minThreads after idleTimeout', async () => {
    const b = bridge({ pool: { minThreads: 1, maxThreads: 3, idleTimeout: 50 } })
    const handle = b.load(fixture('tasks.js'))
    const shared = counters()
    const all = Promise.all([1, 2, 3].map(() => handle.run('gated', shared.buffer)))
    await until(() => shared[2] === 3, '3 tasks started')
    expect(b.stats().threads).toBe(3)
    shared[3] = 1
    await all
    await until(() => b.stats().threads === 1, 'the threads above minThreads idled out')
    expect(await handle.run('add', 1, 1)).toBe(2)
  })

  it('rejects tasks still running or queued when the bridge closes', async () => {
    const b = createBridge({ backend: makeBackend(), pool: { maxThreads: 1 } })
    const handle = b.load(fixture('tasks.js'))
    const running = handle.run('delay', 5_000, 'never')
    const queued = handle.run('add', 1, 1)
    await sleep(30)
    b.close()
    expect((await rejection(running)).name).toBe('BridgeClosedError')
    expect((await rejection(queued)).name).toBe('BridgeClosedError')
    expect(b.stats().inFlight).toBe(0)
  })

  it('reports pool threads in stats()', async () => {
    const b = bridge({ pool: { maxThreads: 2, idleTimeout: 60_000 } }) // no idle stop before the count (Deno's default is 250 ms)
    const handle = b.load(fixture('tasks.js'))
    await Promise.all([handle.run('delay', 30, 1), handle.run('delay', 30, 2)])
    expect(b.stats().threads).toBe(2)
  })

  it('lets a program that used run() and never closed exit on its own', () => {
    const result = runProgram('host-run-no-close.mjs')
    expect(result.error).toBeUndefined()
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split('\n')[0]).toBe('42')
    expect(exitDelay(result)).toBeLessThan(5_000) // soon after its last line, not killed at the timeout
  })
})
