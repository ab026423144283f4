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

// Warm up both paths (the pool's threads start here), then measure RSS growth across the long run.
for (let i = 0; i < 10_000; i++) tasks.runSync('add', i, 1)
await Promise.all(Array.from({ length: 2_000 }, (_, i) => tasks.run('add', i, 0)))
collect()
const rssStart = rssMb()
const started = performance.now()
let wrong = 0
for (let i = 0; i < syncCalls; i++) if (tasks.runSync('add', i, 1) !== i + 1) wrong++
const syncSeconds = (performance.now() - started) / 1000

// Pool: 64 in flight; every index must come back exactly once.
const seen = new Uint8Array(poolCalls)
let next = 0
const lane = async () => {
  while (next < poolCalls) {
    const i = next++
    const value = await tasks.run('add', i, 0)
    seen[value]++
  }
}
const poolStarted = performance.now()
await Promise.all(Array.from({ length: 64 }, lane))
const poolSeconds = (performance.now() - poolStarted) / 1000
const lost = seen.reduce((n, count) => n + (count === 0 ? 1 : 0), 0)
const duplicated = seen.reduce((n, count) => n + (count > 1 ? 1 : 0), 0)
collect()
const rssEnd = rssMb()
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
    threadsBefore: before.threads,
    threadsWithBridge: during,
    threadsAfterClose: threads(),
  }),
)
process.exit(0)
