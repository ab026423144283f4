import { afterEach, describe, expect, it } from 'vitest'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'

afterEach(closeAll)

describe(`hostile worker modules (${runtime}/${backendName})`, () => {
  it('calls the exports of a module that exports a `then` that never settles', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('exports-then.js'))
    expect(handle.runSync('double', 21)).toBe(42)
    expect(await handle.run('double', 4)).toBe(8)
  })

  it('is not fooled by a `then` export that resolves to something else', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('exports-then-resolving.js'))
    expect(handle.runSync('double', 21)).toBe(42)
    expect(await handle.run('double', 4)).toBe(8)
  })

  it('still carries strings and bytes after the module replaces TextDecoder.prototype.decode and Uint8Array.prototype.set', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('hostile-builtins.js'))
    const texts = ['short', 'é'.repeat(70), 'naïve ☃ text '.repeat(500), '\ud800 lone'.repeat(30), 'x'.repeat(1 << 21)]
    for (const text of texts) {
      expect(handle.runSync('length', text)).toBe(text.length)
      expect(handle.runSync('echo', text)).toBe(text)
      expect(await handle.run('echo', text)).toBe(text)
    }
    expect(handle.runSync('makeText', 'ü☃', 40_000)).toBe('ü☃'.repeat(40_000))
    const bytes = new Uint8Array(100_000).map((_, i) => i & 255)
    const sum = bytes.reduce((a, b) => a + b, 0)
    expect(handle.runSync('byteSum', bytes)).toBe(sum)
    expect(await handle.run('byteSum', bytes)).toBe(sum)
    expect(handle.runSync('echo', { bytes: bytes.subarray(10, 20), buffer: bytes.buffer.slice(0, 4) })).toEqual({
      bytes: bytes.subarray(10, 20),
      buffer: bytes.buffer.slice(0, 4),
    })
    const made = handle.runSync('makeBytes', 5000) as Uint8Array
    expect(made[4999]).toBe((4999 * 7) & 255)
  })

  it('still carries values after the module replaces many more built-ins the codec calls', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('hostile-builtins-more.js'))
    const shared = { s: 'shared' }
    const value = {
      text: 'é☃ text '.repeat(20),
      short: 'abc',
      lone: '\udc00',
      numbers: [1, -2, 3.5, 2 ** 40, -0],
      big: 2n ** 70n,
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['two', { n: 2 }],
      ]),
      set: new Set([1, 'x']),
      bytes: new Uint8Array([1, 2, 3]),
      date: new Date(5),
      error: Object.assign(new RangeError('r'), { code: 'E' }),
      refs: [shared, shared],
      many: Array.from({ length: 40 }, (_, i) => ({ i })),
    }
    for (const back of [handle.runSync('echo', value), await handle.run('echo', value)] as (typeof value)[]) {
      expect(back).toEqual(value)
      expect(back.refs[0]).toBe(back.refs[1])
      expect(back.error).toBeInstanceOf(RangeError)
      expect(back.error.code).toBe('E')
    }
  })

  it('is not disturbed by a module that replaces Atomics.load and Atomics.compareExchange', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('hostile-atomics.js'))
    for (let i = 0; i < 20; i++) expect(handle.runSync('echo', `call ${i}`)).toBe(`call ${i}`)
    expect(handle.runSync('byteSum', new Uint8Array([1, 2, 3]))).toBe(6)
    expect(await handle.run('echo', 'async')).toBe('async')
  })

  it('replaces a pool thread above maxWorkerMemoryMB although its module replaced Atomics.store', async () => {
    // Any heap is above 0.001 MiB: each task runs on a new thread if the heap got reported.
    const handle = bridge({ timeout: 10_000, pool: { maxThreads: 1, maxWorkerMemoryMB: 0.001 } }).load(fixture('hostile-atomics.js'))
    const tokens = new Set()
    for (let i = 0; i < 3; i++) tokens.add(await handle.run('token'))
    expect(tokens.size).toBe(3)
  })
})
