/**
 * A worker that runs out of memory during `runSync` (Node enforces `resourceLimits`; Bun
 * ignores them and Deno's node layer does not apply them, web Workers take none). The
 * host is blocked, so Node's exit event cannot tell it the exit code and the error: the
 * call must still carry them, as `run()` does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WorkerCrashedError, createBridge } from '../dist/index.js'
import type { Bridge } from '../dist/index.js'
import { backendName, cell, elapsed, fixture, makeBackend, runtime } from './harness.ts'
import type * as Tasks from './fixtures/tasks.js'

const open: Bridge[] = []
afterEach(() => {
  for (const bridge of open.splice(0)) bridge.close()
})

function limited() {
  const bridge = createBridge({ backend: makeBackend({ resourceLimits: { maxOldGenerationSizeMb: 32 } }) })
  open.push(bridge)
  return bridge.load<typeof Tasks>(fixture('tasks.js'))
}

function expectOutOfMemory(error: unknown): void {
  expect(error).toBeInstanceOf(WorkerCrashedError)
  const crash = error as WorkerCrashedError
  expect(crash.exitCode).toBe(1)
  expect(crash.message).toContain('(exit code 1): Worker terminated due to reaching memory limit: JS heap out of memory')
  expect((crash.cause as Error).message).toBe('Worker terminated due to reaching memory limit: JS heap out of memory')
  expect((crash.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY')
}

describe.runIf(runtime === 'node' && backendName === 'node')(`out of memory (${cell})`, () => {
  it('runSync on a cold worker: the exit code and the cause, as run() has them', async () => {
    const handle = limited()
    const { error, ms } = elapsed(() => handle.runSync('exhaustMemory'))
    expectOutOfMemory(error)
    expect(ms).toBeLessThan(10_000)
    expectOutOfMemory(await handle.run('exhaustMemory').catch((reason: unknown) => reason))
  })

  it('runSync on a warm worker, and the next call works', () => {
    const handle = limited()
    expect(handle.runSync('add', 1, 2)).toBe(3)
    expectOutOfMemory(elapsed(() => handle.runSync('exhaustMemory')).error)
    expect(handle.runSync('add', 2, 2)).toBe(4)
  })
})

// So that vitest does not report an empty file in the cells where it does not apply.
it.skipIf(runtime === 'node' && backendName === 'node')(`out of memory: not enforced in ${cell}`, () => {})
