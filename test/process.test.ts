import { describe, expect, it } from 'vitest'
import { backendName, exitDelay, runProgram, runtime } from './harness.ts'

describe(`whole programs (${runtime}/${backendName})`, () => {
  it('prints worker output in call order, and keeps it when the host exits at once', () => {
    const result = runProgram('host-console.mjs')
    expect(result.error).toBeUndefined()
    expect(result.status).toBe(0)
    const lines = result.stdout.split('\n').filter((line) => line !== '')
    expect(lines).toEqual(['host-1', 'worker-1', 'worker-2', 'host-2', 'worker-3'])
    expect(result.stderr).toContain('to stderr')
  })

  it('logs worker life to stderr with ANYTHREAD_DEBUG=1, and nothing without it', () => {
    const debug = runProgram('host-console.mjs', 20_000, { ANYTHREAD_DEBUG: '1' })
    expect(debug.status).toBe(0)
    expect(debug.stderr).toContain(`anythread[${backendName}] worker #1 started`)
    const quiet = runProgram('host-console.mjs', 20_000, { ANYTHREAD_DEBUG: '' })
    expect(quiet.stderr).not.toContain('anythread[')
  })

  it('exits on its own when it never closes its bridge', () => {
    const result = runProgram('host-no-close.mjs')
    expect(result.error).toBeUndefined() // not killed by the timeout
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split('\n').slice(0, 2)).toEqual(['3', '7'])
    expect(exitDelay(result)).toBeLessThan(5_000) // soon after its last line, not killed at the timeout
  })
})
