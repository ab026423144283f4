// The fault matrix: every fault, through runSync and through run, on one cell. Used by the
// suite (test/fault-matrix.test.ts asserts every row) and by `npm run reliability`, which
// runs it in every cell and writes docs/RELIABILITY.md from the rows.
import { createBridge } from '../dist/index.js'

const tasksUrl = new URL('./fixtures/tasks.js', import.meta.url)
const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url)

/**
 * Each fault: how to provoke it, the error class it must give, and where it applies.
 * `selfExit` is how this cell's workers end themselves (process.exit or close()).
 */
export function faults({ runtime, backend }) {
  const selfExit = backend === 'deno' ? 'close' : 'process'
  const nodeLimits = runtime === 'node' && backend === 'node'
  return [
    { fault: 'worker ends itself (process.exit, or close() in Deno web Workers)', call: ['exitNow', selfExit, 3], expect: 'WorkerCrashedError' },
    { fault: 'throws in a timer', call: ['crashInTimer'], expect: 'WorkerCrashedError' },
    { fault: 'unhandled rejection', call: ['unhandledRejection'], expect: 'WorkerCrashedError' },
    { fault: 'spins forever (timeout 200 ms)', call: ['loopForever'], timeout: 200, expect: 'TimeoutError' },
    nodeLimits
      ? { fault: 'runs out of memory', call: ['exhaustMemory'], limits: true, expect: 'WorkerCrashedError', expectCause: /JS heap out of memory/ }
      : {
          fault: 'runs out of memory',
          skip:
            runtime === 'bun'
              ? 'Bun ignores resourceLimits'
              : backend === 'node'
                ? "Deno's node layer does not apply resourceLimits"
                : 'web Workers take no heap limit',
        },
    startupDeath({ runtime, backend }),
    { fault: 'bridge closed mid-call (run only)', call: ['delay', 5_000, 0], closeMidCall: true, only: 'run', expect: 'BridgeClosedError' },
    {
      fault: 'bridge closed mid-call by a host function the worker calls (runSync only)',
      module: 'host-calls.js',
      call: ['configSync', 'x'],
      closeFromHost: true,
      only: 'runSync',
      expect: 'BridgeClosedError',
    },
    {
      fault: "module's top-level await never settles (startupTimeout 3 s)",
      module: 'never-loads.js',
      call: ['never'],
      startupTimeout: 3_000,
      expect: 'TimeoutError',
    },
    { fault: 'module exports a then() that never settles (hostile namespace)', module: 'exports-then.js', call: ['double', 21], expect: 'no error' },
    { fault: 'module is missing', module: 'does-not-exist.js', call: ['anything'], expect: 'ModuleLoadError' },
    { fault: 'module has a syntax error', module: 'syntax-error.js', call: ['broken'], expect: 'ModuleLoadError' },
    { fault: 'module throws at top level', module: 'top-level-throw.js', call: ['never'], expect: 'ModuleLoadError' },
    { fault: 'export is missing', call: ['noSuchExport'], expect: 'ModuleLoadError' },
    { fault: 'export is not a function', call: ['notAFunction'], expect: 'ModuleLoadError' },
  ]
}

/**
 * A module the worker loads before anythread's entry throws (`execArgv: ['--import', ...]`
 * on Node, Bun's `preload`): the thread dies while it starts. Every call fails the same way,
 * with the module's error as the cause: the next call too, as the module still throws.
 */
function startupDeath({ runtime, backend }) {
  const fault = 'dies while it starts: a preload throws (execArgv --import, Bun preload)'
  const throws = new URL('./fixtures/startup/throws.mjs', import.meta.url)
  const common = {
    fault,
    call: ['add', 1, 2],
    cold: true,
    expect: 'WorkerCrashedError',
    expectCause: /boom in a preload/,
    expectNext: 'failed: WorkerCrashedError',
  }
  if (backend === 'bun') return { ...common, options: { preload: [throws.pathname] } }
  if (backend === 'deno') return { fault, skip: 'Deno web Workers take no preload' }
  if (runtime === 'bun') return { fault, skip: "Bun's node layer ignores --import in execArgv" }
  if (runtime === 'deno') return { fault, skip: "Deno's node layer refuses --import in execArgv: the call throws that at once" }
  return { ...common, options: { execArgv: ['--import', throws.pathname] } }
}

/** Runs every fault through both paths on `backend`; resolves to one row per fault and path. */
export async function probe(makeBackend, cell) {
  const rows = []
  for (const fault of faults(cell)) {
    for (const mode of ['runSync', 'run']) {
      if (fault.only !== undefined && fault.only !== mode) continue
      if (fault.skip !== undefined) {
        rows.push({ ...cell, fault: fault.fault, mode, skipped: fault.skip })
        continue
      }
      if (globalThis.process?.env.FAULT_TRACE) console.error(`${mode}: ${fault.fault}`)
      rows.push({ ...cell, fault: fault.fault, mode, ...(await provoke(makeBackend, fault, mode)) })
    }
  }
  return rows
}

async function provoke(makeBackend, fault, mode) {
  let bridge
  bridge = createBridge({
    backend: makeBackend(fault.limits ? { resourceLimits: { maxOldGenerationSizeMb: 32 } } : (fault.options ?? {})),
    pool: { maxThreads: 1, cancelGrace: 100 },
    ...(fault.startupTimeout !== undefined && { startupTimeout: fault.startupTimeout }),
    ...(fault.closeFromHost && { expose: { getConfig: () => bridge.close() } }),
  })
  try {
    const tasks = bridge.load(tasksUrl)
    const target = fault.module === undefined ? tasks : bridge.load(fixture(fault.module))
    // Warm: the worker is up, so the time measured is detection, not start-up (unless the
    // fault is the start-up itself).
    if (fault.cold) {
    } else if (mode === 'runSync') tasks.runSync('add', 1, 1)
    else await tasks.run('add', 1, 1)
    const handle = fault.timeout === undefined ? target : target.with({ timeout: fault.timeout })
    const [name, ...args] = fault.call
    const started = performance.now()
    let error
    try {
      if (mode === 'runSync') handle.runSync(name, ...args)
      else {
        const pending = handle.run(name, ...args)
        if (fault.closeMidCall) setTimeout(() => bridge.close(), 50)
        await pending
      }
    } catch (caught) {
      error = caught
    }
    const ms = performance.now() - started
    const outcome = error === undefined ? 'no error' : (error?.name ?? typeof error)
    let nextCall = 'n/a (closed)'
    if (!fault.closeMidCall && !fault.closeFromHost) {
      try {
        nextCall = (mode === 'runSync' ? tasks.runSync('add', 2, 3) : await tasks.run('add', 2, 3)) === 5 ? 'ok' : 'wrong'
      } catch (caught) {
        nextCall = `failed: ${caught?.name}`
      }
    }
    const causeKept = fault.expectCause === undefined || fault.expectCause.test(String(error?.cause?.message))
    return {
      outcome: causeKept ? outcome : `${outcome} without its cause`,
      expected: fault.expect,
      ms: Math.round(ms),
      nextCall,
      survived:
        outcome === fault.expect && causeKept && (nextCall === (fault.expectNext ?? 'ok') || fault.closeMidCall === true || fault.closeFromHost === true),
    }
  } finally {
    bridge.close()
  }
}
