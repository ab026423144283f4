/**
 * Where a backend's threads start: the entry embedded in the built adapter (no file beside
 * it), or the `entry` option, whose failures name the file and the error in `runSync` as
 * in `run()`, promptly, on every backend.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { WorkerCrashedError, createBridge } from '../dist/index.js'
import type { Bridge } from '../dist/index.js'
import { backendName, cell, closeAll, elapsed, fixture, makeBackend } from './harness.ts'
import type * as Tasks from './fixtures/tasks.js'

const dist = new URL('../dist/', import.meta.url)
const builtEntry = new URL(backendName === 'node' ? 'node-worker.js' : 'web-worker.js', dist)
const scratch = mkdtempSync(join(tmpdir(), 'anythread-entry-'))
const open: Bridge[] = []

function withEntry(entry: string | URL) {
  const bridge = createBridge({ backend: makeBackend({ entry }), startupTimeout: 20_000 })
  open.push(bridge)
  return bridge.load<typeof Tasks>(fixture('tasks.js'))
}

/** The error of a `runSync` and of a `run()` of a bridge whose entry is `entry`. */
async function failures(entry: string | URL) {
  const sync = elapsed(() => withEntry(entry).runSync('add', 1, 2))
  const async = await withEntry(entry)
    .run('add', 1, 2)
    .then(
      () => undefined,
      (error: unknown) => error,
    )
  return { sync: sync.error as WorkerCrashedError, ms: sync.ms, async: async as WorkerCrashedError }
}

afterEach(() => {
  for (const bridge of open.splice(0)) bridge.close()
  closeAll()
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe(`worker entry (${cell})`, () => {
  it('the built adapters need no worker entry file beside them', async () => {
    // A copy of dist/ without the worker entry files, as a bundle would leave it.
    const copy = join(scratch, 'dist')
    cpSync(fileURLToPath(dist), copy, { recursive: true, filter: (path) => !/(node|web|synckit)-worker\.js$/.test(path) })
    expect(existsSync(join(copy, 'node-worker.js'))).toBe(false)
    const core = await import(pathToFileURL(join(copy, 'index.js')).href)
    const adapter = await import(pathToFileURL(join(copy, `${backendName}.js`)).href)
    const factory = adapter.nodeBackend ?? adapter.denoBackend ?? adapter.bunBackend
    const bridge = core.createBridge({ backend: factory() })
    open.push(bridge)
    const tasks = bridge.load(fixture('tasks.js'))
    expect(tasks.runSync('add', 2, 3)).toBe(5)
    expect(await tasks.run('add', 3, 3)).toBe(6)
    const synckit = await import(pathToFileURL(join(copy, 'synckit.js')).href)
    expect(synckit.createSyncFn(fixture('synckit/worker.mjs'))(2, 3)).toBe(5)
  })

  it('entry: the built worker entry file serves calls (as a path and as a URL)', async () => {
    expect(existsSync(builtEntry)).toBe(true)
    expect(withEntry(builtEntry).runSync('add', 1, 2)).toBe(3)
    expect(await withEntry(builtEntry.pathname).run('add', 2, 2)).toBe(4)
  })

  it('an entry that does not exist fails runSync and run() naming it and the error', async () => {
    const missing = pathToFileURL(join(scratch, 'missing-worker.js'))
    const { sync, ms, async } = await failures(missing)
    for (const error of [sync, async]) {
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(error.message).toContain(`the worker entry ${missing.href} did not load`)
      expect(error.message).toMatch(/missing-worker\.js/)
    }
    expect(ms).toBeLessThan(10_000) // promptly, not at startupTimeout
  })

  it('an entry that does not parse fails runSync and run() naming it', async () => {
    const broken = join(scratch, 'broken-worker.js')
    writeFileSync(broken, 'export const = 1\n')
    const { sync, ms, async } = await failures(broken)
    for (const error of [sync, async]) {
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(error.message).toContain(`the worker entry ${pathToFileURL(broken).href} did not load`)
    }
    expect(ms).toBeLessThan(10_000)
  })

  it('an entry that is not an anythread entry says so instead of hanging', async () => {
    const { sync, ms, async } = await failures(fixture('tasks.js'))
    for (const error of [sync, async]) {
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect(error.message).toContain('loaded but did not start serving')
    }
    expect(ms).toBeLessThan(10_000)
  })

  it('a relative entry is refused when the backend is made', () => {
    expect(() => makeBackend({ entry: './node-worker.js' })).toThrow(/entry must be a URL or an absolute path/)
  })
})
