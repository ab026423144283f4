// A small job runner: hands jobs to the pool with run(), shows a progress bar, and prints
// the bridge's statistics at the end. Run it with node, deno or bun:
//   node examples/job-runner/main.mjs
//   deno run -A examples/job-runner/main.mjs
//   bun examples/job-runner/main.mjs
import diagnosticsChannel from 'node:diagnostics_channel'
import { createBridge } from 'anythread'

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const backend =
  runtime === 'deno'
    ? (await import('anythread/deno')).denoBackend()
    : runtime === 'bun'
      ? (await import('anythread/bun')).bunBackend()
      : (await import('anythread/node')).nodeBackend()

const bridge = createBridge({
  backend,
  // Every thread reads this from 'anythread/worker'.
  workerData: { saveMillis: 5 },
  // A fresh thread after 10 jobs: module state (and any leak) does not pile up.
  pool: { maxTasksPerWorker: 10 },
})
const jobs = bridge.load(new URL('./jobs.js', import.meta.url))

// Count worker threads started and recycled, from the bridge's events.
let started = 0
let recycled = 0
const onStart = () => started++
const onRecycle = () => recycled++
diagnosticsChannel.subscribe('anythread:worker:start', onStart)
diagnosticsChannel.subscribe('anythread:worker:recycle', onRecycle)

const out = process.stdout
const total = 32
let done = 0

/** Redraws the bar in place on a terminal; prints one line per job elsewhere (CI logs). */
function progress() {
  const width = 30
  const filled = Math.round((done / total) * width)
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
  if (out.isTTY) out.write(`\r${bar}${done === total ? '\n' : ''}`)
  else console.log(bar)
}

progress()
const results = []
for (let job = 0; job < total; job++) {
  // Backpressure: while a round of work waits already, let the pool catch up.
  if (bridge.needsDrain) await bridge.drained()
  const limit = 20_000 + job * 2_000
  results.push(
    jobs.run('countPrimes', limit).then((primes) => {
      done++
      progress()
      return primes
    }),
  )
}
const counts = await Promise.all(results)
console.log(`primes below 20000: ${counts[0]}, below ${20_000 + (total - 1) * 2_000}: ${counts.at(-1)}`)

const stats = bridge.stats()
const ms = (value) => `${value.toFixed(1)} ms`
console.log(`completed: ${stats.completed} jobs on ${runtime}/${stats.backend}`)
console.log(`threads started: ${started}, recycled: ${recycled} (maxTasksPerWorker 10)`)
console.log(`run time:  p50 ${ms(stats.runTime.p50)}, p99 ${ms(stats.runTime.p99)}, max ${ms(stats.runTime.max)}`)
console.log(`wait time: p50 ${ms(stats.waitTime.p50)}, p99 ${ms(stats.waitTime.p99)}, max ${ms(stats.waitTime.max)}`)
console.log(`utilization over the last 10 s: ${(stats.utilization * 100).toFixed(0)}%`)

diagnosticsChannel.unsubscribe('anythread:worker:start', onStart)
diagnosticsChannel.unsubscribe('anythread:worker:recycle', onRecycle)
bridge.close()
