import { afterEach, describe, expect, it } from 'vitest'
import { BridgeClosedError, CancelledError, DeadlockError, ModuleLoadError, TimeoutError, WorkerCrashedError } from '../dist/index.js'
import type { BlockingPortal, PortalModuleHandle } from '../dist/index.js'
import { rejection, thrown } from './catch.ts'
import { backendName, bridge, closeAll, fixture, runProgram, runtime, selfExit } from './harness.ts'
import type * as PortalTasks from './fixtures/portal-tasks.js'

afterEach(closeAll)

type Tasks = PortalModuleHandle<typeof PortalTasks>

/** A portal on this cell's backend (closed with its bridge after each test), and its tasks module. */
function portalWith(options: Parameters<typeof bridge>[0] = {}): { portal: BlockingPortal; tasks: Tasks; expose: Record<string, unknown> } {
  const expose: Record<string, (...args: never[]) => unknown> = {
    failHost: () => {
      throw new TypeError('the host says no')
    },
    ...(options.expose ?? {}),
  }
  const portal = bridge({ ...options, expose }).startBlockingPortal()
  return { portal, tasks: portal.load<typeof PortalTasks>(fixture('portal-tasks.js')), expose }
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Polls the portal until `check` holds (bounded), for effects that happen after a cancellation. */
function eventually(check: () => boolean, what: string): void {
  for (let i = 0; i < 200; i++) {
    if (check()) return
    sleepSync(10)
  }
  throw new Error(`never happened: ${what}`)
}

describe(`blocking portals (${runtime}/${backendName})`, () => {
  describe('module state lives on', () => {
    it('keeps a module instance across runSync calls: a resource opened once is reused', () => {
      const { tasks } = portalWith()
      expect(tasks.runSync('increment')).toBe(1)
      expect(tasks.runSync('increment')).toBe(2)
      const results = Array.from({ length: 5 }, (_, i) => tasks.runSync('query', `select ${i}`))
      expect(results.map((result) => result.connection)).toEqual([1, 1, 1, 1, 1])
      expect(results.at(-1)).toEqual({ sql: 'select 4', connection: 1, queries: 5, opened: 1 })
    })

    it('keeps its thread past the bridge idleTimeout', () => {
      const { tasks } = portalWith({ idleTimeout: 20 })
      const mark = tasks.runSync('threadMark')
      tasks.runSync('increment')
      sleepSync(150)
      expect(tasks.runSync('threadMark')).toBe(mark)
      expect(tasks.runSync('count')).toBe(1)
    })

    it('gives two portals (and the bridge) separate module instances', () => {
      const owner = bridge()
      const first = owner.startBlockingPortal().load<typeof PortalTasks>(fixture('portal-tasks.js'))
      const second = owner.startBlockingPortal().load<typeof PortalTasks>(fixture('portal-tasks.js'))
      const direct = owner.load<typeof PortalTasks>(fixture('portal-tasks.js'))
      first.runSync('increment')
      first.runSync('increment')
      expect(second.runSync('increment')).toBe(1)
      expect(direct.runSync('increment')).toBe(1)
      expect(first.runSync('count')).toBe(2)
      expect(first.runSync('threadMark')).not.toBe(second.runSync('threadMark'))
      expect(owner.stats().portals).toBe(2)
    })

    it('runs runSync, run and startTaskSoon on the one portal thread', async () => {
      const { portal, tasks } = portalWith()
      const mark = tasks.runSync('threadMark')
      expect(await tasks.run('threadMark')).toBe(mark)
      expect(tasks.startTaskSoon('threadMark').result()).toBe(mark)
      expect(portal.startTaskSoon(fixture('portal-tasks.js'), 'threadMark').result()).toBe(mark)
      expect(await portal.startTaskSoon(tasks, 'increment')).toBe(1)
    })
  })

  describe('futures (startTaskSoon)', () => {
    it('resolves a task that answers at once', () => {
      const { tasks } = portalWith()
      const future = tasks.startTaskSoon('increment')
      expect(future.result()).toBe(1)
      expect(future.done()).toBe(true)
      expect(future.cancelled()).toBe(false)
      expect(future.result()).toBe(1) // again: the same value
    })

    it('resolves later, and runs tasks side by side on the portal loop', () => {
      const { tasks } = portalWith()
      const slow = tasks.startTaskSoon('sleep', 1_000, 'slow')
      const fast = tasks.startTaskSoon('sleep', 5, 'fast')
      expect(fast.result()).toBe('fast')
      expect(slow.done()).toBe(false) // started first, still running: the tasks overlap
      expect(tasks.runSync('count')).toBe(0) // and runSync runs beside them too
      expect(slow.result()).toBe('slow')
    })

    it('can be awaited, alone or together', async () => {
      const { tasks } = portalWith()
      expect(await tasks.startTaskSoon('sleep', 5, 'awaited')).toBe('awaited')
      const all = await Promise.all([1, 2, 3].map((n) => tasks.startTaskSoon('sleep', 10 * n, n)))
      expect(all).toEqual([1, 2, 3])
    })

    it('cancels immediately: the future settles cancelled and the task sees its signal', () => {
      const { tasks } = portalWith()
      const future = tasks.startTaskSoon('untilCancelled', 'at once')
      expect(future.cancel()).toBe(true)
      expect(future.done()).toBe(true)
      expect(future.cancelled()).toBe(true)
      expect(thrown(() => future.result())).toBeInstanceOf(CancelledError)
      expect(future.cancel()).toBe(false)
      eventually(() => tasks.runSync('cancellationsSeen').includes('at once'), 'the task saw its cancellation')
    })

    it('cancels later, while the task runs; awaiting it rejects with CancelledError', async () => {
      const { tasks } = portalWith()
      const future = tasks.startTaskSoon('untilCancelled', 'later')
      await new Promise((resolve) => setTimeout(resolve, 30))
      expect(future.done()).toBe(false)
      expect(future.cancel()).toBe(true)
      expect(await rejection(Promise.resolve(future))).toBeInstanceOf(CancelledError)
      eventually(() => tasks.runSync('cancellationsSeen').includes('later'), 'the task saw its cancellation')
    })

    it('cancels with the reason given', () => {
      const { tasks } = portalWith()
      const future = tasks.startTaskSoon('untilCancelled', 'reason')
      const reason = new RangeError('not needed any more')
      future.cancel(reason)
      expect(thrown(() => future.result())).toBe(reason)
    })

    it('does not cancel a future that is done, nor one settled by stop', () => {
      const { portal, tasks } = portalWith()
      const done = tasks.startTaskSoon('increment')
      done.result()
      expect(done.cancel()).toBe(false)
      expect(done.cancelled()).toBe(false)
      const running = tasks.startTaskSoon('sleep', 20, 'finished')
      portal.stop()
      expect(running.cancel()).toBe(false)
      expect(running.result()).toBe('finished')
    })

    it('result(timeout) throws TimeoutError and leaves the task running', () => {
      const { tasks } = portalWith()
      const future = tasks.startTaskSoon('sleep', 1_000, 'eventually')
      const error = thrown(() => future.result(10))
      expect(error).toBeInstanceOf(TimeoutError)
      expect(error.message).toContain("'sleep' keeps running")
      expect(future.done()).toBe(false)
      expect(future.result()).toBe('eventually')
      expect(() => future.result(-1)).toThrow(RangeError)
    })

    it('cancels through the handle signal and deadline', async () => {
      const { tasks } = portalWith()
      const controller = new AbortController()
      const future = tasks.with({ signal: controller.signal }).startTaskSoon('untilCancelled', 'signal')
      controller.abort(new Error('stop it'))
      expect(thrown(() => future.result()).message).toBe('stop it')
      const late = tasks.with({ timeout: 20 }).run('untilCancelled', 'deadline')
      expect(await rejection(late)).toBeInstanceOf(TimeoutError)
      eventually(() => tasks.runSync('cancellationsSeen').includes('deadline'), 'the task saw its deadline')
      const aborted = AbortSignal.abort(new Error('already'))
      expect(thrown(() => tasks.with({ signal: aborted }).startTaskSoon('count')).message).toBe('already')
    })

    it('passes callbacks to tasks and releases them when the task ends', async () => {
      const { tasks } = portalWith()
      const seen: number[] = []
      expect(await tasks.startTaskSoon('progress', 3, (step: number) => seen.push(step))).toBe('done')
      expect(seen).toEqual([1, 2, 3])
      const blocked: number[] = []
      expect(tasks.startTaskSoon('progress', 2, (step: number) => blocked.push(step)).result()).toBe('done')
      expect(blocked).toEqual([1, 2])
    })

    it('serves call backs that race a blocking wait: none is left for a microtask that cannot run', () => {
      const { tasks } = portalWith()
      let reports = 0
      for (let round = 0; round < 40; round++) {
        const job = tasks.startTaskSoon('progress', 5, () => void reports++)
        // Sync calls back to back, while the task calls back: each unblocking races a report.
        for (let i = 0; i < 20_000 && !job.done(); i++) tasks.with({ timeout: 5_000 }).runSync('count')
        expect(job.result(5_000)).toBe('done')
      }
      expect(reports).toBe(200)
    })

    it('refuses an argument that cannot be cloned, naming it, and goes on', () => {
      const { tasks } = portalWith()
      const error = thrown(() => tasks.startTaskSoon('sleep', 1, { handler: Symbol('no') } as never))
      expect(error.name).toBe('DataCloneError')
      expect(error.message).toContain('Argument 2')
      expect(tasks.startTaskSoon('increment').result()).toBe(1)
    })
  })

  describe('errors keep their type both ways', () => {
    it('from the task to the future', async () => {
      const { tasks } = portalWith()
      const thrownAtOnce = thrown(() => tasks.startTaskSoon('throwError', 'RangeError', 'out of range').result())
      expect(thrownAtOnce).toBeInstanceOf(RangeError)
      expect(thrownAtOnce.message).toBe('out of range')
      const rejected = await rejection(Promise.resolve(tasks.startTaskSoon('rejectLater', 'TypeError', 'later')))
      expect(rejected).toBeInstanceOf(TypeError)
      expect(thrown(() => tasks.runSync('throwError', 'SyntaxError', 'sync'))).toBeInstanceOf(SyntaxError)
    })

    it('from a host function to the task', () => {
      const { tasks } = portalWith()
      expect(tasks.runSync('hostErrorClass', 'failHost')).toBe('TypeError: the host says no')
      expect(tasks.startTaskSoon('hostErrorClass', 'failHost').result()).toBe('TypeError: the host says no')
    })

    it('a missing module or export fails with ModuleLoadError', () => {
      const { portal, tasks } = portalWith()
      const missing = thrown(() => portal.startTaskSoon(fixture('no-such-module.js'), 'x').result())
      expect(missing).toBeInstanceOf(ModuleLoadError)
      expect(thrown(() => tasks.startTaskSoon('noSuchExport' as never).result())).toBeInstanceOf(ModuleLoadError)
      expect(tasks.runSync('increment')).toBe(1)
    })
  })

  describe('stop', () => {
    it('waits for the remaining tasks, then refuses calls: "portal is not running"', () => {
      const { portal, tasks } = portalWith()
      const remaining = tasks.startTaskSoon('sleep', 30, 'finished')
      expect(portal.running).toBe(true)
      portal.stop()
      expect(portal.running).toBe(false)
      expect(remaining.done()).toBe(true)
      expect(remaining.result()).toBe('finished')
      for (const call of [
        () => tasks.runSync('count'),
        () => tasks.startTaskSoon('count'),
        () => portal.load(fixture('portal-tasks.js')),
        () => portal.startTaskSoon(tasks, 'count'),
      ]) {
        const error = thrown(call)
        expect(error).toBeInstanceOf(BridgeClosedError)
        expect(error.message).toContain('portal is not running')
      }
      portal.stop() // twice is fine
    })

    it('rejects run() after stop', async () => {
      const { portal, tasks } = portalWith()
      portal.stop()
      expect(await rejection(tasks.run('count'))).toBeInstanceOf(BridgeClosedError)
    })

    it('cancelRemaining settles outstanding futures, and the tasks see it before stop returns', () => {
      const reported: string[] = []
      // A grace no busy machine misses: stop() returns once the tasks end, not at the grace.
      const portal = bridge().startBlockingPortal({ cancelGrace: 60_000 })
      const tasks: Tasks = portal.load<typeof PortalTasks>(fixture('portal-tasks.js'))
      expect(tasks.runSync('count')).toBe(0) // warm: thread started and module loaded before the clock runs
      const futures = ['a', 'b'].map((tag) => tasks.startTaskSoon('untilCancelled', tag, (seen: string, why: string) => reported.push(`${seen}: ${why}`)))
      portal.stop({ cancelRemaining: true })
      for (const future of futures) {
        expect(future.cancelled()).toBe(true)
        expect(thrown(() => future.result())).toBeInstanceOf(CancelledError)
      }
      expect(reported.sort()).toEqual(['a: AbortError', 'b: AbortError'])
    })

    it('is what [Symbol.dispose] does; [Symbol.asyncDispose] awaits the tasks first', async () => {
      const { portal, tasks } = portalWith()
      const future = tasks.startTaskSoon('sleep', 10, 'done')
      portal[Symbol.dispose]()
      expect(portal.running).toBe(false)
      expect(future.result()).toBe('done')
      const second = portalWith()
      const pending = second.tasks.startTaskSoon('sleep', 10, 'async done')
      await second.portal[Symbol.asyncDispose]()
      expect(second.portal.running).toBe(false)
      expect(await pending).toBe('async done')
    })

    it('closing the bridge stops its portals and fails what they owe', () => {
      const owner = bridge()
      const portal = owner.startBlockingPortal()
      const future = portal.load<typeof PortalTasks>(fixture('portal-tasks.js')).startTaskSoon('sleep', 5_000, 'never')
      owner.close()
      expect(portal.running).toBe(false)
      expect(thrown(() => future.result())).toBeInstanceOf(BridgeClosedError)
      expect(owner.stats().portals).toBe(0)
      expect(thrown(() => owner.startBlockingPortal())).toBeInstanceOf(BridgeClosedError)
    })
  })

  describe('deadlocks are errors, never hangs', () => {
    it("runSync from the portal's own thread (a host function it is blocked on) throws DeadlockError", () => {
      let tasks: Tasks | undefined
      const callPortal = () => tasks!.runSync('count')
      const portal = portalWith({ expose: { callPortal } })
      tasks = portal.tasks
      const error = thrown(() => tasks!.runSync('callHost', 'callPortal'))
      expect(error).toBeInstanceOf(DeadlockError)
    })

    it('a task calling back into a host function that blocks on the portal gets DeadlockError', async () => {
      let tasks: Tasks | undefined
      let inner: unknown
      const callPortal = () => {
        try {
          return tasks!.runSync('count')
        } catch (error) {
          inner = error
          throw error
        }
      }
      const waitOnFuture = () => tasks!.startTaskSoon('sleep', 1, 'x').result()
      const portal = portalWith({ expose: { callPortal, waitOnFuture } })
      tasks = portal.tasks
      expect(await rejection(Promise.resolve(tasks.startTaskSoon('callHost', 'callPortal')))).toBeInstanceOf(DeadlockError)
      expect(inner).toBeInstanceOf(DeadlockError)
      expect((inner as Error).message).toContain("this portal's own thread")
      expect(await rejection(Promise.resolve(tasks.startTaskSoon('callHost', 'waitOnFuture')))).toBeInstanceOf(DeadlockError)
      expect(tasks.runSync('increment')).toBe(1) // and the portal goes on
    })

    it("stop() from inside one of the portal's own calls throws DeadlockError and leaves it running", () => {
      let portal: BlockingPortal | undefined
      const stopPortal = () => portal!.stop()
      const made = portalWith({ expose: { stopPortal } })
      portal = made.portal
      expect(thrown(() => made.tasks.runSync('callHost', 'stopPortal'))).toBeInstanceOf(DeadlockError)
      expect(portal.running).toBe(true)
      expect(made.tasks.runSync('increment')).toBe(1)
    })

    it('a task may call async host functions while nobody blocks on the portal', async () => {
      const { tasks } = portalWith({ expose: { later: async (value: string) => value } })
      expect(await tasks.startTaskSoon('callHostAsync', 'later', 'served on the host loop')).toBe('served on the host loop')
    })
  })

  describe('the thread dies', () => {
    it('fails its futures with WorkerCrashedError; the next call gets a fresh thread', async () => {
      const { tasks } = portalWith()
      tasks.runSync('increment')
      const waiting = tasks.startTaskSoon('sleep', 5_000, 'never')
      const exiting = tasks.startTaskSoon('exitNow', selfExit)
      expect(thrown(() => waiting.result())).toBeInstanceOf(WorkerCrashedError)
      expect(await rejection(Promise.resolve(exiting))).toBeInstanceOf(WorkerCrashedError)
      expect(tasks.runSync('count')).toBe(0) // new thread, new module instance
    })

    it('fails a blocked runSync with WorkerCrashedError promptly', () => {
      const { tasks } = portalWith()
      expect(thrown(() => tasks.runSync('exitNow', selfExit))).toBeInstanceOf(WorkerCrashedError)
      expect(tasks.runSync('increment')).toBe(1)
    })
  })

  it('leaks no callbacks over many calls', async () => {
    const owner = bridge()
    const portal = owner.startBlockingPortal()
    const tasks = portal.load<typeof PortalTasks>(fixture('portal-tasks.js'))
    const direct = owner.load<typeof PortalTasks>(fixture('portal-tasks.js'))
    const noop = () => {}
    for (let i = 0; i < 5_000; i++) direct.runSync('progress', 0, noop)
    for (let i = 0; i < 500; i++) tasks.startTaskSoon('progress', 1, noop).result()
    await Promise.all(Array.from({ length: 200 }, () => direct.run('progress', 1, noop)))
    expect(owner.stats().callbacks).toBe(0)
  })

  it.skipIf(backendName === 'deno')('lets a program that never stops its portal exit', () => {
    const result = runProgram('host-portal-no-stop.mjs')
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('portal answered 2')
    expect(result.status).toBe(0)
  })
})
