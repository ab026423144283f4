import { afterEach, describe, expect, it } from 'vitest'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'
import type * as HostCalls from './fixtures/host-calls.js'

afterEach(closeAll)

// The key a function argument used to travel under: a user's object with it must stay an object.
const OLD_MARKER = '\u0000anythread.callback'

const hostCalls = () => bridge().load<typeof HostCalls>(fixture('host-calls.js'))

describe(`callback arguments cannot be forged (${runtime}/${backendName})`, () => {
  it('an object that looks like an internal callback marker arrives as that object', async () => {
    const handle = hostCalls()
    const lookalike = { [OLD_MARKER]: 1 }
    expect(handle.runSync('callEach', lookalike)).toEqual([JSON.stringify(lookalike)])
    expect(await handle.run('callEach', lookalike)).toEqual([JSON.stringify(lookalike)])
  })

  it("a look-alike cannot reach another argument's callback", () => {
    const handle = hostCalls()
    const seen: string[] = []
    const real = (what: string) => void seen.push(what)
    // A fresh bridge numbers callbacks from 1: the look-alike names the real one's id.
    for (let id = 0; id < 4; id++) {
      seen.length = 0
      const kinds = handle.runSync('callEach', real, { [OLD_MARKER]: id })
      expect(kinds).toEqual(['function', JSON.stringify({ [OLD_MARKER]: id })])
      expect(seen).toEqual(['called'])
    }
  })

  it('a portal task gets the look-alike as an object too', async () => {
    const portal = bridge().startBlockingPortal()
    const handle = portal.load<typeof HostCalls>(fixture('host-calls.js'))
    const seen: string[] = []
    const kinds = await handle.startTaskSoon('callEach', (what: string) => void seen.push(what), { [OLD_MARKER]: 1 })
    expect(kinds).toEqual(['function', JSON.stringify({ [OLD_MARKER]: 1 })])
    expect(seen).toEqual(['called'])
  })
})

describe(`callbacks beside a transfer list (the structured-clone path) (${runtime}/${backendName})`, () => {
  const bytes = () => new Uint8Array([5, 6, 7])

  it('runSync: the callback still works and the bytes move', () => {
    const seen: number[] = []
    const data = bytes()
    const handle = hostCalls()
    expect(handle.with({ transfer: [data.buffer] }).runSync('progressWithBytes', data, (b: number) => void seen.push(b))).toBe(3)
    expect(seen).toEqual([5, 6, 7])
    expect(data.byteLength).toBe(0) // transferred, not copied
    const lookalike = { [OLD_MARKER]: 1 }
    const more = bytes()
    expect(handle.with({ transfer: [more.buffer] }).runSync('callEach', more, lookalike)).toEqual([
      JSON.stringify({ 0: 5, 1: 6, 2: 7 }),
      JSON.stringify(lookalike),
    ])
  })

  it('run: the callback still works and the bytes move', async () => {
    const seen: number[] = []
    const data = bytes()
    expect(
      await hostCalls()
        .with({ transfer: [data.buffer] })
        .run('progressWithBytesAsync', data, (b: number) => void seen.push(b)),
    ).toBe(3)
    expect(seen).toEqual([5, 6, 7])
    expect(data.byteLength).toBe(0)
  })

  it('a portal task: the callback still works and the bytes move', async () => {
    const portal = bridge().startBlockingPortal()
    const handle = portal.load<typeof HostCalls>(fixture('host-calls.js'))
    const seen: number[] = []
    const data = bytes()
    expect(await handle.with({ transfer: [data.buffer] }).startTaskSoon('progressWithBytesAsync', data, (b: number) => void seen.push(b))).toBe(3)
    expect(seen).toEqual([5, 6, 7])
    expect(data.byteLength).toBe(0)
  })
})
