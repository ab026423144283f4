// One soak in this process: 1M sync calls and 100k pool calls on the backend named by
// ANYTHREAD_BACKEND; prints one JSON line of figures. Run by scripts/soak.mjs.
import { readFileSync } from 'node:fs'
import { createBridge } from '../dist/index.js'

const backendName = globalThis.process?.env.ANYTHREAD_BACKEND ?? 'node'
const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const syncCalls = Number(process.env.SOAK_SYNC ?? 1_000_000)
const poolCalls = Number(process.env.SOAK_POOL ?? 100_000)
const make = (await import(`../dist/${backendName}.js`))[`${backendName}Backend`]

/** Threads of this process, from /proc (Linux). */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN)
const rssMb = () => process.memoryUsage().rss / 1024 / 1024
const collect = () => (globalThis.gc ?? globalThis.Bun?.gc ?? (() => {}))(true)

const before = { threads: threads() }
const bridge = createBridge({ backend: make() })
const tasks = bridge.load(new URL('../test/fixtures/tasks.js', import.meta.url))

/** `count` pool calls, 64 in flight; returns how often each index came back. */
async function poolRun(count) {
  const seen = new Uint8Array(count)
  let next = 0
  const lane = async () => {
    while (next < count) {
      const i = next++
      seen[await tasks.run('add', i, 0)]++
    }
  }
  await Promise.all(Array.from({ length: 64 }, lane))
  return seen
}

// Warm up both paths the way the soak drives them (the pool's threads start here, and the
// allocator reaches its working size), then measure growth across the long run.
for (let i = 0; i < 10_000; i++) tasks.runSync('add', i, 1)
await poolRun(poolCalls) // as many as measured: Deno's RSS settles only after ~100k tasks
collect()
const rssStart = rssMb()
const heapStart = process.memoryUsage().heapUsed / 1024 / 1024
const started = performance.now()
let wrong = 0
for (let i = 0; i < syncCalls; i++) if (tasks.runSync('add', i, 1) !== i + 1) wrong++
const syncSeconds = (performance.now() - started) / 1000

// Pool: 64 in flight; every index must come back exactly once.
const poolStarted = performance.now()
const seen = await poolRun(poolCalls)
const poolSeconds = (performance.now() - poolStarted) / 1000
const lost = seen.reduce((n, count) => n + (count === 0 ? 1 : 0), 0)
const duplicated = seen.reduce((n, count) => n + (count > 1 ? 1 : 0), 0)
collect()
await new Promise((resolve) => setTimeout(resolve, 50))
collect()
const rssEnd = rssMb()
const heapEnd = process.memoryUsage().heapUsed / 1024 / 1024
const during = threads()
bridge.close()
await new Promise((resolve) => setTimeout(resolve, 500))
console.log(
  JSON.stringify({
    runtime,
    backend: backendName,
    syncCalls,
    syncWrong: wrong,
    syncSeconds: +syncSeconds.toFixed(2),
    poolCalls,
    poolLost: lost,
    poolDuplicated: duplicated,
    poolSeconds: +poolSeconds.toFixed(2),
    rssGrowthMb: +(rssEnd - rssStart).toFixed(1),
    heapGrowthMb: +(heapEnd - heapStart).toFixed(1),
    threadsBefore: before.threads,
    threadsWithBridge: during,
    threadsAfterClose: threads(),
  }),
)
process.exit(0)
