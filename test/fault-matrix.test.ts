import { describe, expect, it } from 'vitest'
import { probe } from './fault-catalog.mjs'
import { backendName, makeBackend, runtime } from './harness.ts'

describe(`fault matrix (${runtime}/${backendName})`, () => {
  it('survives every fault through runSync and run: right error, detected in time, next call works', async () => {
    const rows = await probe(makeBackend, { runtime, backend: backendName })
    for (const row of rows) {
      if (row.skipped !== undefined) continue
      const where = `${row.fault} via ${row.mode}`
      expect(row.outcome, where).toBe(row.expected)
      expect(row.survived, `${where}: next call ${row.nextCall}`).toBe(true)
      // Deaths and load failures are noticed, not waited out (these calls have no deadline);
      // timeouts end near theirs. Bounds on a hang, generous for a busy machine: the times
      // themselves are measured by `npm run reliability` (docs/RELIABILITY.md).
      expect(row.ms, where).toBeLessThan(10_000)
    }
    expect(rows.filter((row) => row.skipped === undefined).length).toBeGreaterThanOrEqual(24)
  }, 120_000) // some 40 rows, each a fresh bridge: a bound on a hang, generous for a busy machine
})
