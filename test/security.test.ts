import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createBridge } from '../dist/index.js'
import { backendName, closeAll, fixture, makeBackend, runtime, tasks } from './harness.ts'

afterEach(closeAll)

describe(`security (${runtime}/${backendName})`, () => {
  // deno.json turns on "worker-options", which Deno needs for worker permissions.
  it.skipIf(backendName !== 'deno')('confines a Deno worker to its permissions', () => {
    const repository = fileURLToPath(new URL('..', import.meta.url)) // the module and dist/
    const b = createBridge({
      backend: makeBackend({ permissions: { read: [repository], net: false, env: false, write: false, run: false, ffi: false, sys: false } }),
    })
    try {
      const handle = b.load(fixture('tasks.js'))
      expect(handle.runSync('add', 1, 2)).toBe(3) // its own module is readable
      expect(handle.runSync('readText', fileURLToPath(fixture('typed.ts')))).toContain('norm')
      let denied: any
      try {
        handle.runSync('readText', '/etc/hostname')
      } catch (error) {
        denied = error
      }
      expect(denied?.name).toBe('NotCapable')
      expect(denied?.message).toContain('read access')
      expect(handle.runSync('add', 2, 2)).toBe(4) // the worker is fine after a denial
    } finally {
      b.close()
    }
  })

  it('loads modules only from file: and data: URLs unless told otherwise', () => {
    const b = createBridge({ backend: makeBackend() })
    try {
      expect(() => b.load('https://example.invalid/evil.js')).toThrow(/https: URLs are not allowed/)
      expect(() => b.load('node:fs')).toThrow(/not allowed/)
      const inline = b.load('data:text/javascript,export const two = () => 2')
      expect(inline.runSync('two')).toBe(2)
    } finally {
      b.close()
    }
  })

  it('never evaluates a string argument as code', () => {
    const handle = tasks()
    const payload = "'); globalThis.pwned = true; ('"
    expect(handle.runSync('echo', payload)).toBe(payload)
    expect(handle.runSync('echo', '${process.exit(1)}')).toBe('${process.exit(1)}')
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined()
  })
})
