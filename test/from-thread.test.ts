import { afterEach, describe, expect, it } from 'vitest'
import { DeadlockError } from '../dist/index.js'
import { thrown } from './catch.ts'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'
import type * as HostCalls from './fixtures/host-calls.js'

afterEach(closeAll)

const expose = {
  getConfig: (key: string) => ({ key, value: key.toUpperCase() }),
  later: async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return 'from the host loop'
  },
  fail: (what: string) => {
    throw new RangeError(`host refused ${what}`)
  },
  increment: (n: number) => n + 1,
  echo: (value: unknown) => value,
}

const hostCalls = () => bridge({ expose }).load<typeof HostCalls>(fixture('host-calls.js'))

describe(`fromThread (${runtime}/${backendName})`, () => {
  it('serves exposed sync functions while the host is blocked in runSync', () => {
    expect(hostCalls().runSync('configSync', 'db')).toEqual({ key: 'db', value: 'DB' })
  })

  it('serves fromThread.run from a runSync call too, when the function answers at once', () => {
    expect(hostCalls().runSync('configAsync', 'x')).toEqual({ key: 'x', value: 'X' })
  })

  it('fails with DeadlockError when a blocked host would have to await', () => {
    const error = thrown(() => hostCalls().runSync('needsHostLoopSync'))
    expect(error).toBeInstanceOf(DeadlockError)
    expect(error.message).toContain("'later'")
  })

  it('awaits async host functions when the host is free (run)', async () => {
    expect(await hostCalls().run('needsHostLoop')).toBe('from the host loop')
    expect(await hostCalls().run('configAsync', 'y')).toEqual({ key: 'y', value: 'Y' })
  })

  it('carries a large array both ways through the reverse channel (no platform fallback there)', () => {
    const large: unknown[] = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `s${i}` : i))
    delete large[10]
    const value = Object.assign(large, { extra: -0 })
    const back = hostCalls().runSync('echoViaHost', value) as typeof value
    expect(back).toStrictEqual(structuredClone(value))
    expect(Object.is(back.extra, -0)).toBe(true)
    expect(10 in back).toBe(false)
  })

  it('carries host errors with their class, and names unknown functions', () => {
    const handle = hostCalls()
    const error = thrown(() => handle.runSync('hostThrows'))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.message).toBe('host refused bad value')
    expect(thrown(() => handle.runSync('unknownHost')).message).toContain("no function 'nope'")
  })

  it('passes callbacks as arguments: progress during a sync call arrives in order, before it returns', () => {
    const seen: string[] = []
    const result = hostCalls().runSync('progress', 3, (step: number, of: number) => seen.push(`${step}/${of}`))
    expect(result).toBe('done')
    expect(seen).toEqual(['1/3', '2/3', '3/3'])
  })

  it('passes callbacks to pool tasks as async proxies', async () => {
    const seen: number[] = []
    expect(await hostCalls().run('progressAsync', 4, (step: number) => seen.push(step))).toBe('done')
    expect(seen).toEqual([1, 2, 3, 4])
  })

  it('makes many round trips back into the host during one call', () => {
    expect(hostCalls().runSync('roundTrips', 2_000)).toBe((1999 * 2000) / 2 + 2000)
  })
})
