// One soak in this process, on the backend named by ANYTHREAD_BACKEND: 1M sync calls,
// 100k pool calls, 1M sync calls that each call back a host callback passed as an
// argument, and 100k portal futures; prints one JSON line of figures. Run by scripts/soak.mjs.
import { readFileSync } from 'node:fs'
import { createBridge } from '../dist/index.js'

const backendName = globalThis.process?.env.ANYTHREAD_BACKEND ?? 'node'
const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const syncCalls = Number(process.env.SOAK_SYNC ?? 1_000_000)
const poolCalls = Number(process.env.SOAK_POOL ?? 100_000)
const callbackCalls = Number(process.env.SOAK_CALLBACKS ?? 1_000_000)
const portalCalls = Number(process.env.SOAK_PORTAL ?? 100_000)
const make = (await import(`../dist/${backendName}.js`))[`${backendName}Backend`]

/** Threads of this process, from /proc (Linux). */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN)
const rssMb = () => process.memoryUsage().rss / 1024 / 1024
// V8's gc(true) is only a minor collection: call gc() for a full one (Bun.gc(true) is full).
const collect = () => (globalThis.gc ? globalThis.gc() : globalThis.Bun?.gc(true))

const before = { threads: threads() }
const bridge = createBridge({ backend: make(), expose: {} })
const tasks = bridge.load(new URL('../test/fixtures/tasks.js', import.meta.url))
const hostCalls = bridge.load(new URL('../test/fixtures/host-calls.js', import.meta.url))
const portal = bridge.startBlockingPortal()
const portalTasks = portal.load(new URL('../test/fixtures/portal-tasks.js', import.meta.url))
let reported = 0
const report = () => void reported++

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
for (let i = 0; i < 10_000; i++) hostCalls.runSync('progress', 1, report)
for (let i = 0; i < 10_000; i++) portalTasks.startTaskSoon('echo', i).result()
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

// Callbacks: each call passes a host function; the worker calls it once through its proxy.
// Neither side may keep anything per call: the host's registry must be empty after, and the
// worker's heap must not grow.
const workerHeapStart = hostCalls.runSync('heapUsedMb')
reported = 0
const callbackStarted = performance.now()
for (let i = 0; i < callbackCalls; i++) hostCalls.runSync('progress', 1, report)
const callbackSeconds = (performance.now() - callbackStarted) / 1000
const workerHeapGrowthMb = hostCalls.runSync('heapUsedMb') - workerHeapStart
const callbacksLeft = bridge.stats().callbacks

// Portal futures, one at a time, each blocked on.
const portalStarted = performance.now()
let portalWrong = 0
for (let i = 0; i < portalCalls; i++) if (portalTasks.startTaskSoon('echo', i).result() !== i) portalWrong++
const portalSeconds = (performance.now() - portalStarted) / 1000
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
    callbackCalls,
    callbacksCalled: reported,
    callbacksLeft,
    callbackSeconds: +callbackSeconds.toFixed(2),
    workerHeapGrowthMb: +workerHeapGrowthMb.toFixed(1),
    portalCalls,
    portalWrong,
    portalSeconds: +portalSeconds.toFixed(2),
    rssGrowthMb: +(rssEnd - rssStart).toFixed(1),
    heapGrowthMb: +(heapEnd - heapStart).toFixed(1),
    threadsBefore: before.threads,
    threadsWithBridge: during,
    threadsAfterClose: threads(),
  }),
)
process.exit(0)
