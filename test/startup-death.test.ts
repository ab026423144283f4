/**
 * A worker that dies while it starts, before anythread's entry runs: a module its
 * `execArgv` preloads (`--import`) is missing, throws or exits, or Bun's `preload` is
 * missing or throws. `runSync`, whose host is blocked and cannot see the runtime's exit
 * event, must fail at once with the cause, as `run()` does, not at `startupTimeout`.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WorkerCrashedError, createBridge } from '../dist/index.js'
import type { Bridge } from '../dist/index.js'
import { backendName, cell, elapsed, fixture, makeBackend, runtime } from './harness.ts'

const open: Bridge[] = []
afterEach(() => {
  for (const bridge of open.splice(0)) bridge.close()
})

/** Far above a start-up here, far below it: a failure this late was noticed at startupTimeout. */
const STARTUP_TIMEOUT = 20_000
const PROMPT = 10_000

/** The errors of a first `runSync` and a first `run()` on bridges with these backend options. */
async function failures(options: Record<string, unknown>) {
  const make = () => {
    const bridge = createBridge({ backend: makeBackend(options), startupTimeout: STARTUP_TIMEOUT })
    open.push(bridge)
    return bridge.load(fixture('tasks.js'))
  }
  const sync = elapsed(() => make().runSync('add', 1, 2))
  const async = await make()
    .run('add', 1, 2)
    .then(
      () => undefined,
      (error: unknown) => error,
    )
  return { sync: sync.error as WorkerCrashedError, ms: sync.ms, async: async as WorkerCrashedError }
}

function expectStartFailure(error: WorkerCrashedError, cause: RegExp, exitCode: number): void {
  expect(error).toBeInstanceOf(WorkerCrashedError)
  expect(error.message).toMatch(/The worker failed to start/)
  expect(error.message).toMatch(cause)
  expect(error.exitCode).toBe(exitCode)
  expect((error.cause as Error).message).toMatch(cause)
}

const preload = (name: string): string => fileURLToPath(fixture(`startup/${name}`))
// Node runs `--import` modules in its workers; Deno's node layer refuses the flag and Bun's ignores it.
const onNode = backendName === 'node' && runtime === 'node'

describe(`a worker that dies while it starts (${cell})`, () => {
  it.runIf(onNode)('execArgv --import of a missing module: runSync fails at once with the cause, as run() does', async () => {
    const { sync, ms, async } = await failures({ execArgv: ['--import', '/no/such/preload-for-anythread.mjs'] })
    for (const error of [sync, async]) expectStartFailure(error, /Cannot find module '\/no\/such\/preload-for-anythread\.mjs'/, 1)
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(onNode)('execArgv --import of a module that throws', async () => {
    const { sync, ms, async } = await failures({ execArgv: ['--import', preload('throws.mjs')] })
    for (const error of [sync, async]) expectStartFailure(error, /boom in a preload/, 1)
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(onNode)('execArgv --import of a module that calls process.exit()', async () => {
    const { sync, ms } = await failures({ execArgv: ['--import', preload('exits.mjs')] })
    expectStartFailure(sync, /exited with code 7/, 7)
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(onNode)('a worker still starts and serves with a preload that loads', () => {
    const bridge = createBridge({ backend: makeBackend({ execArgv: ['--import', 'data:text/javascript,globalThis.preloaded=1'] }) })
    open.push(bridge)
    expect(bridge.load(fixture('startup/globals.js')).runSync('globalOf', 'preloaded')).toBe(1)
  })

  it.runIf(onNode)("the host's own --import, inherited by the worker, that throws there", () => {
    const result = spawnSync(process.execPath, ['--import', preload('throws-in-worker.mjs'), preload('host-inherits.mjs')], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(result.stderr).toBe('')
    const outcome = JSON.parse(result.stdout) as { name: string; message: string; cause: string; exitCode: number; ms: number }
    expect(outcome.name).toBe('WorkerCrashedError')
    expect(outcome.message).toMatch(/failed to start.*boom in a worker preload/)
    expect(outcome.cause).toBe('boom in a worker preload')
    expect(outcome.exitCode).toBe(1)
    expect(outcome.ms).toBeLessThan(PROMPT)
  })

  it.runIf(backendName === 'node' && runtime === 'deno')("Deno's node layer refuses --import in execArgv: runSync throws at once", () => {
    const bridge = createBridge({ backend: makeBackend({ execArgv: ['--import', preload('throws.mjs')] }) })
    open.push(bridge)
    const { error, ms } = elapsed(() => bridge.load(fixture('tasks.js')).runSync('add', 1, 2))
    expect((error as Error).message).toMatch(/invalid execArgv flags: --import/)
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(backendName === 'bun')('Bun preload that is missing: runSync and run() name it and the error', async () => {
    const missing = '/no/such/preload-for-anythread.mjs'
    const { sync, ms, async } = await failures({ preload: [missing] })
    for (const error of [sync, async]) {
      expectStartFailure(error, /the preload \/no\/such\/preload-for-anythread\.mjs did not load: Cannot find module/, 1)
    }
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(backendName === 'bun')('Bun preload that throws', async () => {
    const { sync, ms, async } = await failures({ preload: [preload('throws.mjs')] })
    for (const error of [sync, async]) expectStartFailure(error, /the preload .*throws\.mjs did not load: boom in a preload/, 1)
    expect(ms).toBeLessThan(PROMPT)
  })

  it.runIf(backendName === 'bun')('Bun preloads run, in order, before the worker module', () => {
    const bridge = createBridge({ backend: makeBackend({ preload: [preload('first.mjs'), fixture('startup/second.mjs').href] }) })
    open.push(bridge)
    expect(bridge.load(fixture('startup/globals.js')).runSync('globalOf', 'order')).toEqual(['first', 'second'])
  })
})
