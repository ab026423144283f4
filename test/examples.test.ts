import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { backendName, runtime } from './harness.ts'

declare const Deno: { execPath(): string } | undefined

const root = fileURLToPath(new URL('..', import.meta.url))

/** Runs an example the way its header says, on this runtime. */
function example(file: string, denoFlags: string[] = ['-A']) {
  const command = runtime === 'deno' ? [Deno!.execPath(), 'run', ...denoFlags, file] : [process.execPath, file]
  return spawnSync(command[0]!, command.slice(1), { cwd: root, encoding: 'utf8', timeout: 60_000 })
}

// Each example runs once per runtime, in the cell of the backend it uses.
describe(`examples (${runtime})`, () => {
  it.skipIf(backendName !== 'node')('prettier-sync formats code synchronously with Prettier 3', () => {
    const result = example('examples/prettier-sync/main.mjs')
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('const answer: number = 42')
    expect(result.stdout).toContain('function add(a: number, b: number) {')
  })

  it.skipIf(backendName === 'node' && runtime !== 'node')('the demo calls an async function from sync code', () => {
    const result = example('examples/demo/main.mjs')
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/readConfig -> \{"bytes":\d+/)
    expect(result.stdout).toMatch(/20000 sync calls of an async function: x = 20000/)
  })

  it.skipIf(backendName === 'node' && runtime !== 'node')('portal keeps an index open across sync calls while a job reports progress', () => {
    const result = example('examples/portal/main.mjs')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("'increment' is in: main.mjs, tasks.js")
    expect(result.stdout).toContain('answered while the job runs: true')
    expect(result.stdout).toContain('reindexed 2/2: tasks.js')
    expect(result.stdout).toMatch(/reindex done: \d+ words/)
    expect(result.stdout).toContain('the index was opened 1 time(s)')
  })

  it.skipIf(backendName === 'node' && runtime !== 'node')('job-runner shows progress from run() tasks and prints the stats() summary', () => {
    const result = example('examples/job-runner/main.mjs')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('[##############################] 32/32')
    expect(result.stdout).toContain('primes below 20000: 2262, below 82000: 8017')
    expect(result.stdout).toMatch(/completed: 32 jobs on \w+\/\w+/)
    expect(result.stdout).toMatch(/threads started: \d+, recycled: [1-9]/)
    expect(result.stdout).toMatch(/run time: {2}p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/)
    expect(result.stdout).toMatch(/utilization over the last 10 s: \d+%/)
  })

  it.skipIf(backendName !== 'bun')('bun-hash hashes files on the pool and reports progress', () => {
    const file = 'examples/bun-hash/hash-worker.ts'
    const result = example('examples/bun-hash/main.ts')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('[1/2]')
    expect(result.stdout).toContain('[2/2]')
    const expected = createHash('sha256')
      .update(readFileSync(`${root}${file}`))
      .digest('hex')
    expect(result.stdout).toContain(`${expected}  hash-worker.ts`)
  })

  it.skipIf(backendName !== 'deno')('deno-fetch reads a file: URL synchronously inside its permissions', () => {
    const result = example('examples/deno-fetch/main.ts', ['--allow-read', '--unstable-worker-options'])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/read \d+ characters/)
    expect(result.stdout).toContain('outside the folder: NotCapable')
  })
})
