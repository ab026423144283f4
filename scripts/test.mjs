// `npm test`: unit tests (no build), build, type-check, then run the conformance suite in every
// runtime x backend cell (vitest on Node, Deno and Bun). Prints the cell matrix and fails if
// any cell fails.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { root, runner, testCells } from './cells.mjs'

const only = process.argv.slice(2) // e.g. `npm test -- deno/deno`
const tmp = join(root, 'node_modules', '.cache', 'anythread-test')
rmSync(tmp, { recursive: true, force: true })
mkdirSync(tmp, { recursive: true })

function step(title, command, args, env = {}) {
  console.log(`\n▶ ${title}\n  $ ${[command, ...args].join(' ')}`)
  const started = performance.now()
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  if (result.error) console.error(`  ✗ ${result.error.message}`)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  return { ok: result.status === 0, seconds, status: result.status ?? result.signal }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
for (const [title, command, args] of [
  ['unit tests (src/ and the package manifests, no build)', npm, ['run', 'test:unit', '--silent']],
  ['build (tsup: ESM + CJS + .d.ts)', npm, ['run', 'build', '--silent']],
  ['type check (tsc --noEmit, type tests included; the Bun adapter against @types/bun: tsconfig.bun.json)', npm, ['run', 'typecheck', '--silent']],
  ['package quality (publint, arethetypeswrong, deno check, deno publish --dry-run, typedoc)', npm, ['run', 'check:package', '--silent']],
]) {
  const { ok } = step(title, command, args)
  if (!ok) {
    console.error(`\n✗ ${title} failed`)
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
}

const rows = []
for (const cell of testCells) {
  const name = `${cell.runtime}/${cell.backend}`
  if (only.length > 0 && !only.includes(name)) continue
  const report = join(tmp, `${cell.runtime}-${cell.backend}.json`)
  let command, prefix
  try {
    ;[command, ...prefix] = runner(cell.runtime)
  } catch (error) {
    console.error(`\n✗ cell ${name}: ${error.message}`)
    rows.push({ name, passed: 0, failed: 1, skipped: 0, ok: false, seconds: '0.0' })
    continue
  }
  // Node cells name their exact version (the machine's Node for `node`, nodeNN for the others).
  const on = cell.runtime.startsWith('node') ? `Node ${spawnSync(command, ['--version'], { encoding: 'utf8' }).stdout?.trim()}` : cell.runtime
  const result = step(
    `cell ${name}: ${cell.backend} backend on ${on}`,
    command,
    [...prefix, 'node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { ANYTHREAD_BACKEND: cell.backend },
  )
  let counts = { passed: 0, failed: 0, skipped: 0 }
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    counts = { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + (json.numTodoTests ?? 0) }
  } catch {
    counts.failed = Math.max(1, counts.failed) // no report: the cell itself broke
  }
  rows.push({ name, ...counts, ok: result.ok && counts.failed === 0, seconds: result.seconds })
}

console.log('\nCell matrix (runtime/backend):')
console.log('  cell          passed  failed  skipped  time')
for (const row of rows) {
  console.log(
    `  ${row.ok ? '✓' : '✗'} ${row.name.padEnd(12)} ${String(row.passed).padStart(6)}  ${String(row.failed).padStart(6)}  ${String(row.skipped).padStart(7)}  ${row.seconds}s`,
  )
}
const total = rows.reduce((sum, row) => ({ passed: sum.passed + row.passed, failed: sum.failed + row.failed, skipped: sum.skipped + row.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
})
const failedCells = rows.filter((row) => !row.ok).length
console.log(`\n${total.passed} passed, ${total.failed + (failedCells > 0 && total.failed === 0 ? failedCells : 0)} failed, ${total.skipped} skipped`)
process.exit(failedCells === 0 && rows.length > 0 ? 0 : 1)
