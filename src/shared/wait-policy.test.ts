/**
 * Unit tests of the wait policy pieces both threads use and that need no worker: the
 * adaptive spin budget and the policy's validation. The waits themselves, with real
 * workers, are proved by the conformance suite in `test/` and by `test/wait-policy.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { AdaptiveSpin, DEFAULT_WAIT_POLICY, resolveWaitPolicy } from './wait-policy.ts'

const MAX_MICROS = 100
const MIN_MICROS = 5
const FULL = MAX_MICROS / 1000
const SHORT = MIN_MICROS / 1000

/** Runs `count` waits, each answered (or not) as `answered` says; returns their budgets. */
function waits(spin: AdaptiveSpin, count: number, answered: boolean | ((budget: number) => boolean)): number[] {
  const budgets: number[] = []
  for (let i = 0; i < count; i++) {
    const budget = spin.budgetMillis()
    budgets.push(budget)
    spin.record(typeof answered === 'boolean' ? answered : answered(budget))
  }
  return budgets
}

describe('AdaptiveSpin', () => {
  it('spins the full budget (in milliseconds) while calls are answered within it', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    expect(waits(spin, 100, true)).toEqual(Array(100).fill(FULL))
  })

  it('drops to the minimum after 4 misses in a row, not before', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    expect(waits(spin, 4, false)).toEqual([FULL, FULL, FULL, FULL])
    expect(spin.budgetMillis()).toBe(SHORT)
  })

  it('an answer in between resets the count of misses', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    const pattern = [false, false, false, true, false, false, false, true, false, false, false]
    for (const answered of pattern) {
      expect(spin.budgetMillis()).toBe(FULL)
      spin.record(answered)
    }
    expect(spin.budgetMillis()).toBe(FULL)
  })

  it('while slow, spins the minimum but probes with the full budget on the 16th call', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    waits(spin, 4, false)
    const budgets = waits(spin, 16, false)
    expect(budgets.slice(0, 15)).toEqual(Array(15).fill(SHORT))
    expect(budgets[15]).toBe(FULL)
  })

  it('returns to full spins as soon as a probe is answered within its budget', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    waits(spin, 4, false)
    // Calls got fast: each is answered within the full budget, not within the minimum one.
    const budgets = waits(spin, 16, (budget) => budget === FULL)
    expect(budgets.slice(0, 15)).toEqual(Array(15).fill(SHORT))
    expect(budgets[15]).toBe(FULL) // the probe, answered
    expect(waits(spin, 20, true)).toEqual(Array(20).fill(FULL))
  })

  it('a missed probe keeps it slow', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    waits(spin, 4, false)
    const budgets = waits(spin, 17, false)
    expect(budgets[15]).toBe(FULL)
    expect(budgets[16]).toBe(SHORT)
  })

  it('each missed probe halves the rate of probes, down to one in 1024', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    waits(spin, 4, false)
    const budgets = waits(spin, 16 + 32 + 64 + 128 + 256 + 512 + 1024 * 3, false)
    const probes = budgets.flatMap((budget, i) => (budget === FULL ? [i + 1] : []))
    const gaps = probes.map((at, i) => at - (probes[i - 1] ?? 0))
    expect(gaps).toEqual([16, 32, 64, 128, 256, 512, 1024, 1024, 1024])
  })

  it('a probe that pays brings back full spins and the first probe rate', () => {
    const spin = new AdaptiveSpin(MAX_MICROS, MIN_MICROS)
    waits(spin, 4 + 16 + 32, false) // two probes missed: next one in 64
    expect(waits(spin, 64, (budget) => budget === FULL).at(-1)).toBe(FULL) // the probe, paid
    expect(waits(spin, 10, true)).toEqual(Array(10).fill(FULL))
    waits(spin, 4, false) // slow again: the first probe comes after 16, not 128
    const budgets = waits(spin, 16, false)
    expect(budgets.indexOf(FULL)).toBe(15)
  })
})

describe('resolveWaitPolicy', () => {
  it('fills in the defaults, including the worker pickup window', () => {
    expect(resolveWaitPolicy({ spinMicros: 7 })).toEqual({ ...DEFAULT_WAIT_POLICY, spinMicros: 7 })
    expect(DEFAULT_WAIT_POLICY.workerPickupMicros).toBe(20)
  })

  it('rejects negative and non-finite knobs with the knob named', () => {
    expect(() => resolveWaitPolicy({ workerPickupMicros: -1 })).toThrow(/wait\.workerPickupMicros must be a finite number >= 0/)
    expect(() => resolveWaitPolicy({ spinMicros: Number.NaN })).toThrow(/wait\.spinMicros/)
  })
})
