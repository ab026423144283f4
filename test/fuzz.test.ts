import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { TimeoutError } from '../dist/index.js'
import { backendName, closeAll, runtime, tasks } from './harness.ts'

afterEach(closeAll)

/** A small deterministic generator, so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe(`fuzz (${runtime}/${backendName})`, () => {
  it("never hands a call another call's result (10k calls, random durations and deadlines)", () => {
    const seed = Date.now() % 1_000_000
    const next = random(seed)
    const handle = tasks({ settleGrace: 50 })
    let answered = 0
    let timedOut = 0
    for (let i = 0; i < 10_000; i++) {
      const ms = next() < 0.8 ? 0 : Math.floor(next() * 3) // mostly instant, some async
      const timeout = next() < 0.2 ? 0.5 + next() * 2 : Infinity // some deadlines race the answer
      try {
        const value = handle.with({ timeout }).runSync('tagged', i, ms)
        expect(value, `seed ${seed}, call ${i}`).toBe(i)
        answered++
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error
        timedOut++
      }
    }
    expect(answered + timedOut).toBe(10_000)
    expect(answered).toBeGreaterThan(7_000)
  })

  it("never hands a pool task another task's result (2k tasks, random deadlines)", async () => {
    const seed = Date.now() % 1_000_000
    const next = random(seed)
    const handle = tasks({ pool: { maxThreads: 2, cancelGrace: 50 } })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 2_000 }, (_, i) => {
        const ms = next() < 0.7 ? 0 : Math.floor(next() * 4)
        const timeout = next() < 0.2 ? 1 + next() * 3 : Infinity
        return handle.with({ timeout }).run('tagged', i, ms)
      }),
    )
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') expect(outcome.value, `seed ${seed}, task ${i}`).toBe(i)
      else expect(outcome.reason).toBeInstanceOf(TimeoutError)
    })
  })
})

/** Values structured clone accepts, as fast-check builds them. */
const cloneable = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: false,
      withBoxedValues: false,
    }),
    fc.constantFrom(-0, Number.NaN, Infinity, -Infinity, '', '\ud800', 'x'.repeat(70_000)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    fc.string().map((message) => new RangeError(message)),
    // large arrays, on both sides of the codec's LARGE_ARRAY (1024: the platform clones
    // those above), dense or with holes and an extra property, one value shared many times
    fc
      .record({
        n: fc.integer({ min: 1000, max: 3000 }),
        // small values only: a 70k-character string 1000 times over is a 70 MB message
        shared: fc.oneof(fc.anything({ maxDepth: 1, withBigInt: true, withDate: true, withMap: true, withSet: true }), fc.constantFrom(-0, Number.NaN)),
        holes: fc.array(fc.nat(3000), { maxLength: 3 }),
        extra: fc.option(fc.anything({ maxDepth: 1 }), { nil: undefined }),
      })
      .map(({ n, shared, holes, extra }) => {
        const a: unknown[] = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? shared : i % 3 === 1 ? i : -i - 0.5))
        for (const hole of holes) delete a[hole]
        if (extra !== undefined) (a as unknown[] & { extra?: unknown }).extra = extra
        return a
      }),
  ),
})).value

describe(`clone fidelity through the bridge (${runtime}/${backendName})`, () => {
  it('gives back what structuredClone gives, through runSync', () => {
    const handle = tasks()
    fc.assert(
      fc.property(cloneable, (value) => {
        expect(handle.runSync('echo', value)).toStrictEqual(structuredClone(value))
      }),
      { numRuns: 300 },
    )
  })

  it('gives back what structuredClone gives, through run', async () => {
    const handle = tasks()
    await fc.assert(
      fc.asyncProperty(cloneable, async (value) => {
        expect(await handle.run('echo', value)).toStrictEqual(structuredClone(value))
      }),
      { numRuns: 150 },
    )
  })
})
