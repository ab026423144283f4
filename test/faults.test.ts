import { afterEach, describe, expect, it } from 'vitest'
import { BridgeClosedError, ModuleLoadError, TimeoutError, WorkerCrashedError, createBridge } from '../dist/index.js'
import { backendName, bridge, closeAll, elapsed, fixture, makeBackend, runtime, selfExit, tasks } from './harness.ts'
import { rejection, thrown } from './catch.ts'

afterEach(closeAll)

const cellName = `${runtime}/${backendName}`

describe(`timeouts (${cellName})`, () => {
  it('throw TimeoutError at the deadline', () => {
    const handle = tasks()
    handle.runSync('add', 1) // warm: measure the deadline, not the start-up
    const { error, ms } = elapsed(() => handle.with({ timeout: 100 }).runSync('delay', 5_000, 'late'))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).timeout).toBe(100)
    expect(ms).toBeGreaterThanOrEqual(99)
    expect(ms).toBeLessThan(5_000) // a bound on a hang, generous for a busy machine
  })

  it('never deliver a late result to a later call', () => {
    const handle = tasks()
    for (let i = 0; i < 5; i++) {
      // Far past the deadline, so a busy machine cannot make the answer look on time; the
      // stale answers land during the later calls.
      expect(() => handle.with({ timeout: 20 }).runSync('delay', 300, `stale-${i}`)).toThrow(TimeoutError)
      expect(handle.runSync('echo', `fresh-${i}`)).toBe(`fresh-${i}`)
    }
    // Let the stale calls finish on the worker; later calls still get their own answers.
    expect(handle.runSync('delay', 400, 'after')).toBe('after')
    expect(handle.runSync('add', 1, 1)).toBe(2)
  })

  it('recycle a worker stuck in the call it timed out', () => {
    const b = bridge()
    const handle = b.load<typeof import('./fixtures/tasks.js')>(fixture('tasks.js'))
    expect(handle.runSync('increment')).toBe(1)
    expect(() => handle.with({ timeout: 500 }).runSync('loopForever')).toThrow(TimeoutError)
    const { value, ms } = elapsed(() => handle.runSync('increment'))
    expect(value).toBe(1) // a fresh worker: module state starts over
    expect(ms).toBeLessThan(5_000)
    // Deno cannot stop a thread running sync JS (denoland/deno#35657): it is reported.
    expect(b.stats().runawayThreads).toBe(runtime === 'deno' ? 1 : 0)
  })

  // A generous settleGrace: these prove the same worker takes the next call, however busy the
  // machine; and deadlines long enough that the call surely started before they passed.
  it('keep the worker, and its module state, when the timed-out call awaits', () => {
    const handle = tasks({ settleGrace: 10_000 })
    expect(handle.runSync('increment')).toBe(1)
    expect(() => handle.with({ timeout: 50 }).runSync('delay', 3_000, 'late')).toThrow(TimeoutError)
    expect(handle.runSync('increment')).toBe(2) // the same worker took the next call
  })

  it('reach sync worker code through checkCancelled()', () => {
    const handle = tasks({ settleGrace: 10_000 })
    expect(() => handle.with({ timeout: 500 }).runSync('spinUntilCancelled')).toThrow(TimeoutError)
    expect(handle.runSync('cancellationSeen')).toBe('TimeoutError')
  })

  it('abort the signal async worker code sees', () => {
    const handle = tasks({ settleGrace: 10_000 })
    expect(() => handle.with({ timeout: 500 }).runSync('awaitAbort')).toThrow(TimeoutError)
    expect(handle.runSync('delay', 20, 'x')).toBe('x')
    expect(handle.runSync('cancellationSeen')).toBe('signal:TimeoutError')
  })

  it('hold even when the answer is slow to encode (a getter), replacing a stuck worker', () => {
    const handle = tasks()
    handle.runSync('add', 1)
    const { error, ms } = elapsed(() => handle.with({ timeout: 100 }).runSync('slowGetter', 1_500))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(ms).toBeLessThan(1_400) // before the getter's 1.5 s are up
    expect(handle.runSync('add', 2, 2)).toBe(4)
  })

  it('use the bridge default timeout', () => {
    const handle = tasks({ timeout: 30 })
    expect(() => handle.runSync('delay', 2_000, 0)).toThrow(TimeoutError)
    expect(handle.with({ timeout: 2_000 }).runSync('delay', 10, 'ok')).toBe('ok')
  })
})

describe(`worker deaths (${cellName})`, () => {
  const dies = (name: string, fn: (handle: ReturnType<typeof tasks>) => unknown) =>
    it(name, () => {
      const handle = tasks()
      handle.runSync('add', 1) // started
      const { error, ms } = elapsed(() => fn(handle))
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(ms).toBeLessThan(10_000) // noticed, not waited out: these calls have no deadline
      expect(handle.runSync('add', 2, 3)).toBe(5) // the next call works on a new worker
      return error
    })

  dies('fail the call when the worker exits', (handle) => handle.runSync('exitNow', selfExit, 3))
  dies('fail the call when the worker throws outside the call', (handle) => handle.runSync('crashInTimer'))
  dies('fail the call on an unhandled rejection in the worker', (handle) => handle.runSync('unhandledRejection'))

  it('carry the exit code and the uncaught error', () => {
    const handle = tasks()
    const exit = elapsed(() => handle.runSync('exitNow', selfExit, 3)).error as WorkerCrashedError
    if (selfExit === 'process') expect(exit.exitCode).toBe(3)
    const crash = elapsed(() => handle.runSync('crashInTimer')).error as WorkerCrashedError
    expect(crash.message).toContain('boom in a timer')
    expect((crash.cause as Error).message).toBe('boom in a timer')
  })

  // Only Node enforces resourceLimits (Bun ignores them; Deno's layer does not apply them).
  it.skipIf(runtime !== 'node' || backendName !== 'node')('fail the call when the worker runs out of memory', async () => {
    const b = createBridge({ backend: makeBackend({ resourceLimits: { maxOldGenerationSizeMb: 32 } }) })
    try {
      const handle = b.load(fixture('tasks.js'))
      // The first call: the host has blocked since the worker started, so no exit event can
      // run; the backend's probe must notice the death.
      const { error, ms } = elapsed(() => handle.runSync('exhaustMemory'))
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(ms).toBeLessThan(5_000)
      expect(handle.runSync('add', 1, 2)).toBe(3)
      const pooled = await handle.run('exhaustMemory').catch((reason: unknown) => reason)
      expect(pooled).toBeInstanceOf(WorkerCrashedError)
      expect((pooled as Error).message).toContain('memory')
      expect(await handle.run('add', 2, 2)).toBe(4)
    } finally {
      b.close()
    }
  })

  it('fail the call when the worker cannot even start', () => {
    // Only node:worker_threads takes execArgv, and Bun ignores it.
    if (backendName !== 'node' || runtime === 'bun') return
    const b = createBridge({ backend: makeBackend({ execArgv: ['--no-such-flag-for-anythread'] }) })
    try {
      const { error } = elapsed(() => b.load(fixture('tasks.js')).runSync('add', 1))
      expect(error).toBeDefined()
    } finally {
      b.close()
    }
  })

  it('start a new worker after a death between calls', async () => {
    const handle = tasks()
    expect(handle.runSync('crashSoon')).toBe('answered')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(handle.runSync('add', 1, 1)).toBe(2)
  })
})

describe(`module loading (${cellName})`, () => {
  const loadError = (file: string | URL, name = 'never'): ModuleLoadError => {
    const { error } = elapsed(() => bridge().load(file).runSync(name))
    expect(error).toBeInstanceOf(ModuleLoadError)
    return error as ModuleLoadError
  }

  it('names a missing module', () => {
    const url = fixture('does-not-exist.js')
    const error = loadError(url)
    expect(error.moduleUrl).toBe(url.href)
    expect(error.message).toContain('does-not-exist.js')
    expect(error.cause).toBeDefined()
  })

  it('reports a syntax error with its cause', () => {
    const error = loadError(fixture('syntax-error.js'), 'broken')
    const cause = error.cause as Error
    // Each runtime names a parse failure its own way: Node a SyntaxError, Deno a TypeError
    // whose message says so, Bun a BuildMessage.
    expect(cause).toBeInstanceOf(Error)
    if (runtime === 'deno') expect(cause.message).toMatch(/SyntaxError|Expression expected/)
    else if (runtime === 'bun') expect(cause.name).toBe('BuildMessage')
    else expect(cause).toBeInstanceOf(SyntaxError)
  })

  it('reports a module that throws at top level', () => {
    const error = loadError(fixture('top-level-throw.js'))
    expect(error.cause).toBeInstanceOf(RangeError)
    expect((error.cause as Error).message).toBe('refusing to load')
  })

  it('reports a missing export and lists the callable ones', () => {
    const error = loadError(fixture('tasks.js'), 'noSuchExport')
    expect(error.message).toContain("'noSuchExport'")
    expect(error.message).toContain('add')
  })

  it('reports an export that is not a function', () => {
    const error = loadError(fixture('tasks.js'), 'notAFunction')
    expect(error.message).toContain('not a function')
  })

  it('leaves the worker usable for other modules', () => {
    const b = bridge()
    expect(() => b.load(fixture('syntax-error.js')).runSync('broken')).toThrow(ModuleLoadError)
    expect(b.load(fixture('tasks.js')).runSync('add', 1, 2)).toBe(3)
    expect(b.stats().threads).toBe(1)
  })
})

describe(`bad input (${cellName})`, () => {
  it('names the argument that cannot be cloned, and the worker is unharmed', () => {
    const handle = tasks()
    expect(handle.runSync('increment')).toBe(1)
    const { error } = elapsed(() => handle.runSync('argCount', 1, Symbol('not cloneable')))
    expect((error as DOMException).name).toBe('DataCloneError')
    expect((error as Error).message).toContain('Argument 2')
    expect(handle.runSync('increment')).toBe(2) // same worker, same state
  })

  it('refuses a detached buffer in a transfer list with a DataCloneError, on both paths', async () => {
    const handle = tasks()
    const buffer = new ArrayBuffer(8)
    structuredClone(buffer, { transfer: [buffer] }) // detaches it here
    const sync = thrown(() => handle.with({ transfer: [buffer] }).runSync('byteLength', buffer))
    expect(sync.name).toBe('DataCloneError')
    expect(sync.message).toContain('detached')
    expect((await rejection(handle.with({ transfer: [buffer] }).run('byteLength', buffer))).name).toBe('DataCloneError')
    expect(handle.runSync('add', 1, 1)).toBe(2)
  })

  it('treats a deadline of 0 as passed: TimeoutError without calling, on both paths', async () => {
    const handle = tasks()
    expect(handle.runSync('increment')).toBe(1)
    expect(thrown(() => handle.with({ timeout: 0 }).runSync('increment'))).toBeInstanceOf(TimeoutError)
    expect(await rejection(handle.with({ timeout: 0 }).run('increment'))).toBeInstanceOf(TimeoutError)
    expect(handle.runSync('increment')).toBe(2) // neither call ran
  })

  it('reports answers whose encoding throws without losing the worker', () => {
    const handle = tasks()
    expect(handle.runSync('increment')).toBe(1)
    expect(elapsed(() => handle.runSync('revokedProxy')).error).toBeInstanceOf(Error)
    expect(elapsed(() => handle.runSync('throwUndescribable')).error).toBeInstanceOf(Error)
    expect(handle.runSync('increment')).toBe(2) // same worker, state kept
  })

  it('reports a return value that cannot be cloned', () => {
    const handle = tasks()
    const { error } = elapsed(() => handle.runSync('returnFunction'))
    expect((error as DOMException).name).toBe('DataCloneError')
    expect(handle.runSync('add', 1, 1)).toBe(2)
  })

  it('refuses calls after close()', () => {
    const b = bridge()
    const handle = b.load(fixture('tasks.js'))
    expect(handle.runSync('add', 1, 1)).toBe(2)
    b.close()
    expect(() => handle.runSync('add', 1, 1)).toThrow(BridgeClosedError)
    expect(() => b.load(fixture('tasks.js'))).toThrow(BridgeClosedError)
    b.close() // twice is fine
    expect(b.stats()).toMatchObject({ closed: true, threads: 0 })
  })

  it('closes through Symbol.dispose', () => {
    const b = createBridge({ backend: makeBackend() })
    const handle = b.load(fixture('tasks.js'))
    handle.runSync('add', 1)
    b[Symbol.dispose]()
    expect(() => handle.runSync('add', 1)).toThrow(BridgeClosedError)
  })

  it('throws an aborted signal reason without calling', () => {
    const handle = tasks()
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    expect(() => handle.with({ signal: controller.signal }).runSync('increment')).toThrow('stop')
    expect(handle.runSync('increment')).toBe(1)
  })

  it('rejects bad arguments with clear errors', () => {
    expect(() => createBridge({} as never)).toThrow(/backend/)
    const b = bridge()
    expect(() => b.load('./relative.js')).toThrow(/relative/)
    expect(() => b.load('https://example.invalid/x.js')).toThrow(/not allowed/)
    const handle = b.load(fixture('tasks.js'))
    expect(() => handle.runSync(42 as never)).toThrow(TypeError)
    expect(() => handle.with({ timeout: -1 })).toThrow(RangeError)
    expect(() => createBridge({ backend: makeBackend(), wait: { spinMicros: -1 } })).toThrow(RangeError)
  })
})
