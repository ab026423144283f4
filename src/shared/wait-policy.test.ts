/**
 * Unit tests of the wait policy's validation. The host's adaptive spin has its own in
 * `src/host/adaptive-spin.test.ts`; the waits themselves, with real workers, are proved by
 * the conformance suite in `test/` and by `test/wait-policy.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_WAIT_POLICY, resolveWaitPolicy } from './wait-policy.ts'

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
