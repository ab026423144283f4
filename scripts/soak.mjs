// `npm run soak`: 1M sync calls, 100k pool calls, 1M calls with a callback argument and
// 100k portal futures in one process per cell; reports heap and RSS growth (host and
// worker), callbacks left registered, threads before/after, and any lost or duplicated
// result. Not part of `npm test`.
// `npm run soak -- node/node` runs one cell.
import { spawnSync } from 'node:child_process'
import { cells, root, runner } from './cells.mjs'

const only = process.argv.slice(2)
let failed = 0
for (const { runtime, backend } of cells) {
  const name = `${runtime}/${backend}`
  if (only.length > 0 && !only.includes(name)) continue
  const [command, ...prefix] = runner(runtime)
  const flags = runtime === 'node' ? ['--expose-gc'] : runtime === 'deno' ? ['--v8-flags=--expose-gc'] : []
  const run = spawnSync(command, [...prefix, ...flags, 'scripts/soak-probe.mjs'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ANYTHREAD_BACKEND: backend },
    timeout: 600_000,
  })
  const line = run.stdout.trim().split('\n').at(-1) ?? ''
  let result
  try {
    result = JSON.parse(line)
  } catch {
    console.log(`${name}: the soak failed (${run.status ?? run.signal})\n${run.stderr}`)
    failed++
    continue
  }
  // A leak shows in the JS heap; RSS also moves with the allocator's working size (Deno's
  // swings by tens of MB between samples without the heap growing), so it is reported.
  const ok =
    result.syncWrong === 0 &&
    result.poolLost === 0 &&
    result.poolDuplicated === 0 &&
    result.heapGrowthMb < 5 &&
    result.callbacksCalled === result.callbackCalls &&
    result.callbacksLeft === 0 &&
    result.workerHeapGrowthMb < 5 &&
    result.portalWrong === 0
  if (!ok) failed++
  console.log(
    `${ok ? '✓' : '✗'} ${name.padEnd(10)} ${result.syncCalls} sync calls in ${result.syncSeconds}s (${result.syncWrong} wrong), ` +
      `${result.poolCalls} pool calls in ${result.poolSeconds}s (${result.poolLost} lost, ${result.poolDuplicated} duplicated), ` +
      `${result.callbackCalls} calls with a callback in ${result.callbackSeconds}s (${result.callbacksLeft} left registered, worker heap +${result.workerHeapGrowthMb} MB), ` +
      `${result.portalCalls} portal futures in ${result.portalSeconds}s (${result.portalWrong} wrong), ` +
      `RSS +${result.rssGrowthMb} MB, heap +${result.heapGrowthMb} MB, threads ${result.threadsBefore} -> ${result.threadsWithBridge} -> ${result.threadsAfterClose} after close`,
  )
}
process.exit(failed === 0 ? 0 : 1)
