// `npm run reliability`: runs the fault matrix in every cell and writes docs/RELIABILITY.md
// from what happened (fault x cell x outcome x detection time). Never edited by hand.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cells, root, runner } from './cells.mjs'

const results = []
for (const { runtime, backend } of cells) {
  const [command, ...prefix] = runner(runtime)
  const run = spawnSync(command, [...prefix, 'scripts/fault-probe.mjs'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ANYTHREAD_BACKEND: backend },
    timeout: 120_000,
  })
  const line = run.stdout.trim().split('\n').at(-1) ?? ''
  try {
    results.push(...JSON.parse(line))
    console.log(`${runtime}/${backend}: done`)
  } catch {
    console.error(`${runtime}/${backend}: the probe failed (${run.status ?? run.signal})\n${run.stderr}`)
    results.push({ runtime, backend, fault: 'the probe itself', mode: '-', outcome: `crashed: ${run.status ?? run.signal}`, survived: false })
  }
}

const cellNames = cells.map(({ runtime, backend }) => `${runtime}/${backend}`)
const faultKeys = [...new Set(results.map((row) => `${row.fault}\u0000${row.mode}`))]
const cellOf = (row) => `${row.runtime}/${row.backend}`
const show = (row) => {
  if (row === undefined) return '—'
  if (row.skipped !== undefined) return `n/a: ${row.skipped}`
  const mark = row.survived ? '✓' : '✗'
  return `${mark} ${row.outcome}, ${row.ms} ms${row.nextCall === 'ok' || row.nextCall === undefined ? '' : `, next: ${row.nextCall}`}`
}

const versions = spawnSync(process.execPath, ['-e', 'console.log(process.version)'], { encoding: 'utf8' }).stdout.trim()
const survived = results.filter((row) => row.survived).length
const applicable = results.filter((row) => row.skipped === undefined).length
const lines = [
  '# Reliability: the fault matrix',
  '',
  '<!-- Written by `npm run reliability` (scripts/reliability.mjs) from a real run. Do not edit by hand. -->',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}, Node ${versions}, on a ${process.platform} machine. Each cell is a`,
  'runtime/backend pair; each row a fault provoked in a warm worker, through `runSync` and `run`.',
  'A cell shows the error the call got and how long after the call began it came; ✓ means it',
  'was the right error and the next call on the same bridge worked.',
  '',
  `${survived} of ${applicable} applicable fault/path/cell combinations survived.`,
  '',
  `| fault | path | ${cellNames.join(' | ')} |`,
  `| --- | --- | ${cellNames.map(() => '---').join(' | ')} |`,
  ...faultKeys.map((key) => {
    const [fault, mode] = key.split('\u0000')
    const rowFor = (cell) => results.find((row) => cellOf(row) === cell && row.fault === fault && row.mode === mode)
    return `| ${fault} | ${mode} | ${cellNames.map((cell) => show(rowFor(cell))).join(' | ')} |`
  }),
  '',
  'Notes:',
  '- Timeouts are detected at their deadline (200 ms here) and `run()` rejects there too, even when',
  '  the task ignores its cancellation: its thread drains in the background and is replaced after',
  '  `cancelGrace` (100 ms here) if it does not let go. Every other fault is noticed well under a second.',
  '- Out of memory: Node workers run with `resourceLimits: { maxOldGenerationSizeMb: 32 }`.',
  '- "bridge closed mid-call" closes the bridge while a pool task runs, or (runSync) from inside a host',
  '  function the worker called: the call fails with `BridgeClosedError` at once rather than hanging.',
  '- A module whose top-level await never settles fails at `startupTimeout` (3 s here, long enough for a thread to boot on a busy machine) with a',
  "  `TimeoutError` naming it; a call's own `timeout` does not count start-up or module loading.",
  '- A module that exports `then` is still called: its namespace is never resolved as a thenable.',
  '- "dies while it starts" starts a cold worker whose preload throws (`execArgv: [\'--import\', ...]` on',
  "  Node, `preload` on Bun): both paths fail at once with the preload's error as `cause`, and so does the",
  '  next call (the preload still throws). `--require` modules run before any module of ours and are not',
  '  covered (README, Reliability).',
  '- A death with no exit hook (out of memory) is noticed while the host is blocked through',
  "  Node's worker probe, and runSync carries Node's exit code and `ERR_WORKER_OUT_OF_MEMORY` cause as run()",
  '  does (the row requires the cause); Deno and Bun enforce no heap limit on workers, so the row does not apply there.',
  '- Deno (both backends): `Worker.terminate()` does not stop a thread that runs synchronous JavaScript',
  '  (open upstream: denoland/deno#35657, #14003). "spins forever" is survived by the caller (the',
  '  TimeoutError comes at the deadline and the next call gets a fresh thread), but the spinning thread',
  '  keeps a core until the process ends. Code that calls `checkCancelled()` stops on its own.',
  '',
]
mkdirSync(join(root, 'docs'), { recursive: true })
writeFileSync(join(root, 'docs', 'RELIABILITY.md'), lines.join('\n'))
console.log(`docs/RELIABILITY.md written: ${survived}/${applicable} survived`)
process.exit(survived === applicable ? 0 : 1)
