import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ModuleLoadError, TimeoutError } from '../dist/index.js'
import { createSyncFn } from '../dist/synckit.js'
import { fixture, runtime } from './harness.ts'

type Add = (a: number, b: number, mode?: 'throw' | 'slow') => Promise<number>

// The synckit entry picks the runtime's own backend, so it runs once per runtime.
describe(`anythread/synckit on ${runtime}`, () => {
  it('runs a runAsWorker file from an absolute path or a file URL', () => {
    const fromPath = createSyncFn<Add>(fileURLToPath(fixture('synckit-worker.mjs')))
    expect(fromPath(1, 2)).toBe(3)
    const fromUrl = createSyncFn<Add>(fixture('synckit-worker.mjs'))
    expect(fromUrl(40, 2)).toBe(42)
  })

  it('caches one function per path', () => {
    const path = fileURLToPath(fixture('synckit-worker.mjs'))
    expect(createSyncFn(path)).toBe(createSyncFn(path))
  })

  it('keeps the error class, unlike synckit', () => {
    const add = createSyncFn<Add>(fixture('synckit-worker.mjs'))
    expect(() => add(7, 0, 'throw')).toThrow(RangeError)
    expect(() => add(7, 0, 'throw')).toThrow('bad 7')
  })

  it('honours the timeout option', () => {
    const url = new URL(`${fixture('synckit-worker.mjs').href}?timeout`)
    const add = createSyncFn<Add>(url, { timeout: 50 })
    expect(() => add(1, 1, 'slow')).toThrow(TimeoutError)
    expect(add(1, 1)).toBe(2)
  })

  it('fails clearly for a missing file or one that never calls runAsWorker', () => {
    const missing = createSyncFn(fixture('no-such-synckit-worker.mjs'))
    expect(() => missing()).toThrow(ModuleLoadError)
    const silent = createSyncFn(fixture('not-a-synckit-worker.mjs'))
    expect(() => silent()).toThrow(/runAsWorker/)
    expect(() => createSyncFn('relative/worker.mjs')).toThrow(/absolute/)
  })
})
