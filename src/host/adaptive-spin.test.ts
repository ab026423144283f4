/**
 * Unit tests of the host's adaptive spin budget, with a clock of our own. The waits that
 * spend it, with real workers, are proved by the conformance suite in `test/` and by
 * `test/wait-policy.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { AdaptiveSpin, PROBE_AT_LEAST_EVERY_MILLIS } from './adaptive-spin.ts'

const MAX_MICROS = 100
const MIN_MICROS = 5
const FULL = MAX_MICROS / 1000
const SHORT = MIN_MICROS / 1000

/** A clock that moves only when told: the time bound on probes never fires by accident. */
function manualClock(): { clock: () => number; advance: (ms: number) => void } {
  let time = 0
  return { clock: () => time, advance: (ms) => (time += ms) }
}

const spinner = (clock = manualClock().clock): AdaptiveSpin => new AdaptiveSpin(MAX_MICROS, MIN_MICROS, clock)

/** Runs `count` waits, each answered (or not) as `answered` says; returns their budgets. */
function waits(spin: AdaptiveSpin, count: number, answered: boolean | ((budget: number) => boolean), wokeWorker = false): number[] {
  const budgets: number[] = []
  for (let i = 0; i < count; i++) {
    const budget = spin.plan()
    expect(spin.budgetMillis).toBe(budget)
    budgets.push(budget)
    spin.record(typeof answered === 'boolean' ? answered : answered(budget), wokeWorker)
  }
  return budgets
}

describe('AdaptiveSpin', () => {
  it('spins the full budget (in milliseconds) while calls are answered within it', () => {
    const spin = spinner()
    expect(waits(spin, 100, true)).toEqual(Array(100).fill(FULL))
  })

  it('drops to the minimum after 4 misses in a row, not before', () => {
    const spin = spinner()
    expect(waits(spin, 4, false)).toEqual([FULL, FULL, FULL, FULL])
    expect(spin.plan()).toBe(SHORT)
  })

  it('an answer in between resets the count of misses', () => {
    const spin = spinner()
    const pattern = [false, false, false, true, false, false, false, true, false, false, false]
    for (const answered of pattern) {
      expect(spin.plan()).toBe(FULL)
      spin.record(answered)
    }
    expect(spin.plan()).toBe(FULL)
  })

  it('while slow, spins the minimum but probes with the full budget on the 16th call', () => {
    const spin = spinner()
    waits(spin, 4, false)
    const budgets = waits(spin, 16, false)
    expect(budgets.slice(0, 15)).toEqual(Array(15).fill(SHORT))
    expect(budgets[15]).toBe(FULL)
  })

  it('returns to full spins as soon as a probe is answered within its budget', () => {
    const spin = spinner()
    waits(spin, 4, false)
    // Calls got fast: each is answered within the full budget, not within the minimum one.
    const budgets = waits(spin, 16, (budget) => budget === FULL)
    expect(budgets.slice(0, 15)).toEqual(Array(15).fill(SHORT))
    expect(budgets[15]).toBe(FULL) // the probe, answered
    expect(waits(spin, 20, true)).toEqual(Array(20).fill(FULL))
  })

  it('a missed probe keeps it slow', () => {
    const spin = spinner()
    waits(spin, 4, false)
    const budgets = waits(spin, 17, false)
    expect(budgets[15]).toBe(FULL)
    expect(budgets[16]).toBe(SHORT)
  })

  it('each missed probe halves the rate of probes, down to one in 1024', () => {
    const spin = spinner()
    waits(spin, 4, false)
    const budgets = waits(spin, 16 + 32 + 64 + 128 + 256 + 512 + 1024 * 3, false)
    const probes = budgets.flatMap((budget, i) => (budget === FULL ? [i + 1] : []))
    const gaps = probes.map((at, i) => at - (probes[i - 1] ?? 0))
    expect(gaps).toEqual([16, 32, 64, 128, 256, 512, 1024, 1024, 1024])
  })

  it('a probe that pays brings back full spins and the first probe rate', () => {
    const spin = spinner()
    waits(spin, 4 + 16 + 32, false) // two probes missed: next one in 64
    expect(waits(spin, 64, (budget) => budget === FULL).at(-1)).toBe(FULL) // the probe, paid
    expect(waits(spin, 10, true)).toEqual(Array(10).fill(FULL))
    waits(spin, 4, false) // slow again: the first probe comes after 16, not 128
    const budgets = waits(spin, 16, false)
    expect(budgets.indexOf(FULL)).toBe(15)
  })

  it('while slow, probes at least every 10 ms however few the waits', () => {
    const { clock, advance } = manualClock()
    const spin = spinner(clock)
    waits(spin, 4 + 16 + 32 + 64, false) // three missed probes: the next by count in 128
    expect(spin.plan()).toBe(SHORT)
    spin.record(false)
    advance(PROBE_AT_LEAST_EVERY_MILLIS)
    expect(spin.plan()).toBe(FULL) // due by time
    spin.record(true)
    expect(waits(spin, 5, true)).toEqual(Array(5).fill(FULL))
  })

  it('a probe that had to wake the worker is judged by the next wait, which probes too', () => {
    const spin = spinner()
    waits(spin, 4, false)
    const budgets = waits(spin, 16, false, true)
    expect(budgets[15]).toBe(FULL) // the probe: missed, but it rang the doorbell
    expect(spin.plan()).toBe(FULL) // so the next wait probes again
    spin.record(true) // and pays: full spins are back
    expect(waits(spin, 5, true)).toEqual(Array(5).fill(FULL))
  })

  it('defers a probe once only: the next one that misses counts, doorbell or not', () => {
    const spin = spinner()
    waits(spin, 4, false)
    const budgets = waits(spin, 16 + 1 + 32, false, true)
    expect(budgets[15]).toBe(FULL) // the probe, deferred
    expect(budgets[16]).toBe(FULL) // judged: missed, so the next probe comes 32 waits later
    expect(budgets.slice(17, 48)).toEqual(Array(31).fill(SHORT))
    expect(budgets[48]).toBe(FULL)
  })

  it('a miss that woke the worker still counts while spins are full', () => {
    const spin = spinner()
    expect(waits(spin, 4, false, true)).toEqual(Array(4).fill(FULL))
    expect(spin.plan()).toBe(SHORT)
  })
})
