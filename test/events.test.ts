/** The `anythread:*` diagnostics_channel events: worker life, timeouts, cancellations, recycles, run() tasks. */
import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TimeoutError, createBridge } from '../dist/index.js'
import { backendName, closeAll, fixture, makeBackend, runtime, selfExit, tasks as tasksOf } from './harness.ts'
import { rejection, thrown, until } from './catch.ts'

const NAMES = [
  'anythread:worker:start',
  'anythread:worker:ready',
  'anythread:worker:exit',
  'anythread:worker:recycle',
  'anythread:call:timeout',
  'anythread:call:cancel',
  'anythread:task:queued',
  'anythread:task:started',
  'anythread:task:finished',
]

type Event = Record<string, any> & { channel: string }
let captured: Event[] = []
const listeners = new Map<string, (message: unknown) => void>()

beforeEach(() => {
  captured = []
  for (const name of NAMES) {
    const listener = (message: unknown) => captured.push({ channel: name, ...(message as object) })
    listeners.set(name, listener)
    diagnosticsChannel.subscribe(name, listener)
  }
})

afterEach(() => {
  closeAll()
  for (const [name, listener] of listeners) diagnosticsChannel.unsubscribe(name, listener)
})

/** The events of the bridge that published `first`'s kind of event first, in order, as `channel` names. */
const ofBridge = (bridge: number) => captured.filter((event) => event.bridge === bridge)
const channels = (events: Event[]) => events.map((event) => event.channel)

describe(`anythread:* events (${runtime}/${backendName})`, () => {
  it('publishes a run() task and its worker: start, queued, started, ready, finished, then exit on close', async () => {
    const b = createBridge({ backend: makeBackend(), pool: { maxThreads: 1 } })
    const handle = b.load(fixture('tasks.js'))
    expect(await handle.run('add', 2, 3)).toBe(5)
    b.close()
    await until(() => captured.some((event) => event.channel === 'anythread:worker:exit'), 'the exit event')
    const bridge = captured[0]!.bridge
    const events = ofBridge(bridge)
    expect(channels(events)).toEqual([
      'anythread:task:queued',
      'anythread:worker:start',
      'anythread:task:started',
      'anythread:worker:ready',
      'anythread:task:finished',
      'anythread:worker:exit',
    ])
    const [queued, start, started, ready, finished, exit] = events
    const module = fixture('tasks.js').href
    expect(queued).toMatchObject({ backend: backendName, task: 1, name: 'add', module })
    expect(start).toMatchObject({ kind: 'pool', worker: expect.any(Number) })
    expect(started).toMatchObject({ task: 1, worker: start!.worker, waitMs: expect.any(Number) })
    expect(ready!.startupMs).toBeGreaterThanOrEqual(0)
    expect(finished).toMatchObject({ task: 1, ok: true, runMs: expect.any(Number) })
    expect(exit).toMatchObject({ worker: start!.worker, kind: 'pool', reason: 'bridge closed', stoppedByHost: true, runaway: false })
  })

  it('publishes a runSync timeout with the worker that ran it', () => {
    const handle = tasksOf()
    handle.runSync('add', 1, 1)
    expect(thrown(() => handle.with({ timeout: 50 }).runSync('delay', 5_000, 'late'))).toBeInstanceOf(TimeoutError)
    const start = captured.find((event) => event.channel === 'anythread:worker:start')!
    expect(start.kind).toBe('sync')
    const timeout = captured.find((event) => event.channel === 'anythread:call:timeout')
    expect(timeout).toMatchObject({ api: 'runSync', worker: start.worker, name: 'delay', module: fixture('tasks.js').href })
  })

  it('publishes the cancellation of a run() task, and its rejection', async () => {
    const handle = tasksOf()
    await handle.run('add', 1, 1)
    const controller = new AbortController()
    const running = handle.with({ signal: controller.signal, abandonOnCancel: true }).run('delay', 5_000, 'late')
    await until(() => captured.filter((event) => event.channel === 'anythread:task:started').length === 2, 'the task started')
    controller.abort(new Error('stop'))
    expect((await rejection(running)).message).toBe('stop')
    const cancel = captured.find((event) => event.channel === 'anythread:call:cancel')
    expect(cancel).toMatchObject({ api: 'run', task: 2, name: 'delay', worker: expect.any(Number) })
    await until(() => captured.some((event) => event.channel === 'anythread:task:finished' && event.task === 2), 'the task finished')
    const finished = captured.find((event) => event.channel === 'anythread:task:finished' && event.task === 2)
    expect(finished).toMatchObject({ ok: false })
    expect(finished!.error.message).toBe('stop')
  })

  it('publishes a run() timeout, and the task finished with the TimeoutError once its thread let go', async () => {
    const handle = tasksOf()
    await handle.run('add', 1, 1)
    expect(await rejection(handle.with({ timeout: 30 }).run('delay', 2_000, 'late'))).toBeInstanceOf(TimeoutError) // far past the deadline on a busy host
    expect(captured.find((event) => event.channel === 'anythread:call:timeout')).toMatchObject({ api: 'run', task: 2, name: 'delay' })
    await until(() => captured.some((event) => event.channel === 'anythread:task:finished' && event.task === 2), 'the task finished')
    const finished = captured.find((event) => event.channel === 'anythread:task:finished' && event.task === 2)!
    expect(finished.ok).toBe(false)
    expect(finished.error).toBeInstanceOf(TimeoutError)
  })

  it('publishes a recycle (maxTasksPerWorker) and the exit that follows', async () => {
    const handle = tasksOf({ pool: { maxThreads: 1, maxTasksPerWorker: 1 } })
    await handle.run('add', 1, 1)
    await handle.run('add', 1, 2)
    const recycle = captured.find((event) => event.channel === 'anythread:worker:recycle')
    expect(recycle).toMatchObject({ kind: 'pool', reason: 'recycled: ran 1 tasks (maxTasksPerWorker)' })
    const exit = captured.find((event) => event.channel === 'anythread:worker:exit')
    expect(exit).toMatchObject({ worker: recycle!.worker, reason: recycle!.reason, stoppedByHost: true })
    expect(captured.filter((event) => event.channel === 'anythread:worker:start')).toHaveLength(2)
  })

  it('publishes a recycle when a cancelled task ignores cancellation past cancelGrace', async () => {
    const handle = tasksOf({ pool: { maxThreads: 1, cancelGrace: 100 } })
    await handle.run('add', 1, 1)
    const shared = new Int32Array(new SharedArrayBuffer(16))
    const controller = new AbortController()
    const running = handle.with({ signal: controller.signal }).run('gatedSync', shared.buffer)
    try {
      await until(() => shared[2] === 1, 'the task started')
      controller.abort(new Error('stop'))
      expect((await rejection(running)).message).toBe('stop')
    } finally {
      shared[3] = 1 // let the spinning thread end (Deno cannot stop it)
    }
    expect(captured.find((event) => event.channel === 'anythread:call:cancel')).toMatchObject({ api: 'run', name: 'gatedSync' })
    const recycle = captured.find((event) => event.channel === 'anythread:worker:recycle')
    expect(recycle).toMatchObject({ kind: 'pool', reason: 'recycled: ignored a cancellation past cancelGrace' })
    const exit = captured.find((event) => event.channel === 'anythread:worker:exit' && event.worker === recycle!.worker)
    expect(exit).toMatchObject({ stoppedByHost: true, runaway: backendName === 'deno' || runtime === 'deno' })
  })

  it('publishes the exit of a worker that died on its own, with its exit code', async () => {
    const handle = tasksOf({ pool: { maxThreads: 1 } })
    await handle.run('add', 1, 1)
    await rejection(handle.run('exitNow', selfExit, 4))
    await until(() => captured.some((event) => event.channel === 'anythread:worker:exit'), 'the exit event')
    const exit = captured.find((event) => event.channel === 'anythread:worker:exit')!
    expect(exit.stoppedByHost).toBe(false)
    if (selfExit === 'process') expect(exit.exitCode).toBe(4)
    const finished = captured.find((event) => event.channel === 'anythread:task:finished' && event.name === 'exitNow')
    expect(finished).toMatchObject({ ok: false })
    expect(finished!.error.name).toBe('WorkerCrashedError')
  })

  it('publishes the start and ready of a portal thread, and its exit when the portal stops', async () => {
    const b = createBridge({ backend: makeBackend() })
    try {
      const portal = b.startBlockingPortal()
      expect(await portal.load(fixture('tasks.js')).startTaskSoon('add', 1, 2)).toBe(3)
      portal.stop()
      await until(() => captured.some((event) => event.channel === 'anythread:worker:exit'), 'the exit event')
      expect(channels(captured)).toEqual(['anythread:worker:start', 'anythread:worker:ready', 'anythread:worker:exit'])
      expect(captured.map((event) => event.kind)).toEqual(['portal', 'portal', 'portal'])
      expect(captured[2]).toMatchObject({ reason: 'this portal closed', stoppedByHost: true })
    } finally {
      b.close()
    }
  })

  it('publishes nothing once nobody subscribes', async () => {
    for (const [name, listener] of listeners) diagnosticsChannel.unsubscribe(name, listener)
    listeners.clear()
    for (const name of NAMES) expect(diagnosticsChannel.hasSubscribers(name)).toBe(false)
    await tasksOf().run('add', 1, 1)
    expect(captured).toEqual([])
  })
})
