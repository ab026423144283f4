import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createBridge } from '../dist/index.js'
import { backendName, bridge, closeAll, fixture, makeBackend, runtime, tasks } from './harness.ts'

afterEach(closeAll)

describe(`runSync (${runtime} runtime, ${backendName} backend)`, () => {
  it('returns the awaited value of an async export', () => {
    const handle = tasks()
    expect(handle.runSync('add', 1, 2)).toBe(3)
    expect(handle.runSync('add', 41)).toBe(42)
  })

  it('awaits timers and file reads on the worker', () => {
    const path = fileURLToPath(fixture('typed.ts'))
    const text = tasks().runSync('readText', path)
    expect(text).toContain('export async function norm')
    expect(tasks().runSync('delay', 30, 'late')).toBe('late')
  })

  it('calls sync exports and passes any number of arguments', () => {
    const handle = tasks()
    expect(handle.runSync('addSync', 2, 3)).toBe(5)
    expect(handle.runSync('argCount')).toBe(0)
    expect(handle.runSync('argCount', 1, undefined, null, 'x')).toBe(4)
    expect(handle.runSync('nothing')).toBeUndefined()
  })

  it('reuses one worker per bridge and keeps module state', () => {
    const b = bridge()
    const handle = b.load<typeof import('./fixtures/tasks.js')>(fixture('tasks.js'))
    expect(b.stats().threads).toBe(0) // lazy: nothing started yet
    expect(handle.runSync('increment')).toBe(1)
    expect(handle.runSync('increment')).toBe(2)
    expect(b.load<typeof import('./fixtures/tasks.js')>(fixture('tasks.js')).runSync('increment')).toBe(3)
    expect(b.stats()).toMatchObject({ calls: 3, threads: 1, closed: false })
  })

  it('gives separate bridges separate workers', () => {
    const first = tasks()
    const second = tasks()
    first.runSync('increment')
    first.runSync('increment')
    expect(second.runSync('increment')).toBe(1)
  })

  it('round-trips structured values', () => {
    const handle = tasks()
    const value = {
      date: new Date(1_700_000_000_000),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: [1, 2] }],
      ]),
      set: new Set(['x', 'y']),
      big: -(2n ** 70n),
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5, -0, Number.NaN]),
      nested: [undefined, null, true, 'ünïcødé \u{1F600}', { deep: { deeper: 1 } }],
      regexp: /ab+c/gi,
    }
    const back = handle.runSync('echo', value) as typeof value
    const { floats, ...rest } = back
    const { floats: _sent, ...sent } = value
    expect(rest).toEqual(sent)
    expect(back.map).toBeInstanceOf(Map)
    expect(back.bytes).toBeInstanceOf(Uint8Array)
    // Compared one by one: Bun's toEqual rejects NaN inside typed arrays.
    expect(floats).toBeInstanceOf(Float64Array)
    expect(floats[0]).toBe(0.5)
    expect(Object.is(floats[1], -0)).toBe(true)
    expect(Number.isNaN(floats[2])).toBe(true)
  })

  it('carries large payloads both ways', () => {
    const handle = tasks()
    const text = 'x'.repeat(64 * 1024)
    expect(handle.runSync('echo', text)).toBe(text)
    const big = handle.runSync('bytes', 1 << 20) as Uint8Array
    expect(big.length).toBe(1 << 20)
    expect(big[1000]).toBe(1000 & 255)
    expect(
      handle.runSync(
        'sum',
        Array.from({ length: 10_000 }, (_, i) => i),
      ),
    ).toBe(49_995_000)
  })

  it('carries payloads larger than maxInlineBytes through the port', () => {
    const handle = tasks({ maxInlineBytes: 4096 })
    const text = 'y'.repeat(100_000)
    expect(handle.runSync('echo', text)).toBe(text)
    expect((handle.runSync('bytes', 50_000) as Uint8Array).length).toBe(50_000)
    expect(handle.runSync('add', 1, 1)).toBe(2)
  })

  it('accepts the smallest inline limit (1024 bytes), below the starting size of the buffers', () => {
    const handle = tasks({ maxInlineBytes: 1024 })
    expect(handle.runSync('add', 1, 1)).toBe(2)
    const text = 'z'.repeat(5000)
    expect(handle.runSync('echo', text)).toBe(text)
  })

  it('carries every payload size around the inline limit intact', () => {
    const limit = 4096
    const handle = tasks({ maxInlineBytes: limit })
    // Sweeping past the limit in both directions crosses the exact size where the encoded
    // request (and the echoed answer) stops fitting in shared memory and takes the port.
    for (let n = limit - 80; n <= limit + 80; n++) {
      const bytes = new Uint8Array(n).map((_, i) => i * 7)
      const back = handle.runSync('echo', bytes) as Uint8Array
      expect(back.length).toBe(n)
      expect(back[n - 1]).toBe(((n - 1) * 7) & 255)
    }
  })

  it('carries empty and huge payloads', () => {
    const handle = tasks({ maxInlineBytes: 64 * 1024 })
    expect(handle.runSync('echo', '')).toBe('')
    expect((handle.runSync('echo', new Uint8Array(0)) as Uint8Array).length).toBe(0)
    expect(handle.runSync('echo', [])).toEqual([])
    expect(handle.runSync('echo', {})).toEqual({})
    // Larger than the inline limit (16 MiB by default, 64 KiB here, which keeps the test
    // quick on a busy machine): it goes through the port, both ways.
    const huge = new Uint8Array(4 * 1024 * 1024)
    huge[huge.length - 1] = 42
    const back = handle.runSync('echo', huge) as Uint8Array
    expect(back.length).toBe(huge.length)
    expect(back[back.length - 1]).toBe(42)
  })

  it('keeps many bridges apart when their calls interleave', () => {
    const handles = Array.from({ length: 12 }, () => tasks())
    for (let round = 1; round <= 20; round++) {
      for (const handle of handles) expect(handle.runSync('increment')).toBe(round)
    }
  })

  it('moves transferred buffers instead of copying them', () => {
    const handle = tasks()
    const buffer = new ArrayBuffer(1024)
    expect(handle.with({ transfer: [buffer] }).runSync('byteLength', buffer)).toBe(1024)
    expect(buffer.byteLength).toBe(0) // detached: it moved
  })

  it('serves many bridges in turn', () => {
    const handles = Array.from({ length: 4 }, () => tasks())
    for (let round = 0; round < 50; round++) {
      handles.forEach((handle, i) => expect(handle.runSync('add', round, i)).toBe(round + i))
    }
  })

  it('makes thousands of calls in a row without losing one', () => {
    const handle = tasks()
    let total = 0
    for (let i = 0; i < 5000; i++) total += handle.runSync('add', i, 0) as number
    expect(total).toBe((4999 * 5000) / 2)
  })

  it('works when created with explicit wait knobs', () => {
    const handle = tasks({ wait: { spinMicros: 0, minSpinMicros: 0, workerSpinMicros: 0, parkSliceMillis: 5 } })
    for (let i = 0; i < 50; i++) expect(handle.runSync('add', i)).toBe(i + 1)
  })

  it('runs a worker module that itself makes sync calls (nested bridges)', () => {
    expect(tasks().runSync('nested', backendName, 5)).toBe(105)
  })

  it.skipIf(runtime === 'node' && !(process as any).features?.typescript)('loads TypeScript worker modules on Deno, Bun and Node >= 22.18', () => {
    const typed = bridge().load<typeof import('./fixtures/typed.ts')>(fixture('typed.ts'))
    expect(typed.runSync('norm', { x: 3, y: 4 })).toBe(5)
  })

  it('accepts absolute paths as well as URLs', () => {
    const b = createBridge({ backend: makeBackend() })
    try {
      expect(b.load(fileURLToPath(fixture('tasks.js'))).runSync('add', 2, 2)).toBe(4)
    } finally {
      b.close()
    }
  })
})
