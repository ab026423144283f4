// One bench cell: runs scenarios B1–B5, C1–C2 and P1–P2 on this runtime with the backend named by
// $ANYTHREAD_BACKEND (node | deno | bun), our library and its peers in this same process,
// and prints one JSON line per result on stdout (bench/run.mjs collects them).
//
// Set BENCH_QUICK=1 for a short smoke run, BENCH_SCENARIOS=P1,P2 (or C1, ...) to run only those.
// Nothing else is written to stdout, so any other line there (or anything on stderr) is
// stray output and gets reported.
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { startFloor } from './lib/floor.mjs'
import { closePool, coldSynckitCopies, describeError, poolPeerNames, startPoolPeer, startSynckit, synckitFactory, withDeadline } from './lib/peers.mjs'
import { checkMainThreadCpu, forceGc, mainThreadCpuNs, now, processCpuNs, round, rss, runtime, runtimeVersion } from './lib/runtime.mjs'
import { median, quantile } from './lib/stats.mjs'
import { clockOverhead, summarize, timeBatches, timeBatchesAsync, timeSingles, timeSinglesAsync } from './lib/timing.mjs'

/** run.mjs passes a snapshot of dist/ taken at its start; run directly, ../dist is used. */
const dist = new URL(process.env.ANYTHREAD_DIST ? pathToFileURL(process.env.ANYTHREAD_DIST) : '../dist/', import.meta.url)
const { createBridge } = await import(new URL('index.js', dist).href)

const backendName = process.env.ANYTHREAD_BACKEND ?? 'node'
const quick = process.env.BENCH_QUICK === '1'
const tasksUrl = new URL('./fixtures/tasks.js', import.meta.url)
const callbacksUrl = new URL('./fixtures/callbacks.js', import.meta.url)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Bridges measured warm keep their worker between rounds: on the deno backend (a Deno
 * worker cannot be unref'd) the default `idleTimeout` of 250 ms stopped it while a peer
 * took its turn, so each of B1's rounds measured a cold start and the runtime's warm-up
 * (deno/deno B1 mean 11-15 µs instead of 2.9-3.3 in the same hour). Closed at the end.
 */
const KEEP_WARM = { idleTimeout: Infinity }

/** Busy processes run.mjs keeps beside this cell in a contention run (B1 and P1 only); null in the main run. */
const busy = process.env.BENCH_BUSY ? Number(process.env.BENCH_BUSY) : null
const contention = busy !== null

/** Sizes of each scenario; the quick run only checks that everything works. */
const SIZE = quick
  ? {
      b1Calls: 2_000,
      b1Rounds: 1,
      b2Rounds: 1,
      b2StringOps: 50,
      b2BytesOps: 5,
      b2LargeLength: 10_000,
      b2LargeOps: 2,
      b3Samples: 3,
      b4Samples: 1,
      b4SleepMs: 200,
      b5Calls: 20_000,
      b5BudgetMs: 10_000,
      c1Callbacks: 2_000,
      c1Rounds: 1,
      c1WarmMs: 100,
      c2Calls: 2_000,
      c2Rounds: 1,
      p1Tasks: 2_000,
      p1Rounds: 1,
      p2Tasks: 500,
      p2Rounds: 1,
      poolWarmTasks: 1_000,
      poolWarmMs: 100,
    }
  : {
      b1Calls: contention ? 10_000 : 20_000,
      b1Rounds: contention ? 2 : 4,
      b2Rounds: 2,
      b2StringOps: 2_000,
      b2BytesOps: 200,
      b2LargeLength: 1_000_000,
      b2LargeOps: 3,
      b3Samples: 10,
      b4Samples: 3,
      b4SleepMs: 1_000,
      b5Calls: 1_000_000,
      b5BudgetMs: 60_000,
      c1Callbacks: 16_000,
      c1Rounds: 2,
      c1WarmMs: 200,
      c2Calls: 20_000,
      c2Rounds: 4,
      p1Tasks: contention ? 40_000 : 100_000,
      p1Rounds: contention ? 4 : 5,
      p2Tasks: 20_000,
      p2Rounds: 5,
      poolWarmTasks: 5_000,
      poolWarmMs: 300,
    }

/** P1/P2: every pool (ours and the peers) gets this many threads, the machine's available parallelism. */
const POOL_THREADS = Math.max(1, os.availableParallelism?.() ?? navigator.hardwareConcurrency ?? 2)
/** P1: tasks in flight at once (async lanes, each awaiting one task at a time). */
const P1_IN_FLIGHT = 64

// ---------------------------------------------------------------------------- output

const emit = (record) => console.log(JSON.stringify({ runtime, backend: backendName, ...record }))
const progress = (message) => emit({ type: 'progress', message })

/**
 * One result row. `better` says which direction wins ('lower' for times and bytes,
 * 'higher' for throughput); `ratio` is always "how many times better ours is than the
 * peer" (> 1: ours is better), so every row reads the same way.
 */
function result({ scenario, metric, unit, ours, peer, better = 'lower', target, check, stats, details }) {
  const peerValue = peer?.value
  const ratio = peerValue === undefined ? null : better === 'lower' ? peerValue / ours : ours / peerValue
  const met = check ? check({ ours, ratio }) : null
  emit({
    type: 'result',
    scenario,
    metric,
    unit,
    better,
    ours: round(ours, 4),
    peer: peer && { name: peer.name, value: peerValue === undefined ? null : round(peerValue, 4), error: peer.error },
    ratio: ratio === null ? null : round(ratio, 4),
    stats: stats && { ours: roundStats(stats.ours), peer: roundStats(stats.peer) },
    target,
    met,
    details,
  })
}

/** mean/p50/p99 of a subject, rounded for the JSON; null for a subject that did not run. */
const roundStats = (s) => (s ? { mean: round(s.mean, 4), p50: s.p50 === null ? null : round(s.p50, 4), p99: s.p99 === null ? null : round(s.p99, 4) } : null)

/** A peer measurement or its reason for being n/a. */
const peerOf = (name, value, error) => (error ? { name, error } : { name, value })

// ---------------------------------------------------------------------------- setup

/** The backend factory of this cell, e.g. nodeBackend; only that adapter is imported. */
async function loadBackendFactory() {
  const adapter = async (name) => import(new URL(`${name}.js`, dist).href)
  if (backendName === 'deno') return (await adapter('deno')).denoBackend
  if (backendName === 'bun') return (await adapter('bun')).bunBackend
  return (await adapter('node')).nodeBackend
}

/** The floor uses the same kind of thread as the backend under test. */
const floorKind = backendName === 'node' ? 'node' : 'web'

/**
 * Runs `fn` at least `calls` times and for at least `ms`: both threads' JITs need a few
 * thousand calls and some wall time to reach their optimized tiers (the first 2,000
 * calls of a fresh bridge measured 10–100x slower than the steady state here).
 */
function warmUp(fn, calls, ms = 300) {
  const end = now() + ms
  for (let i = 0; i < calls || now() < end; i++) fn(i)
}

// ---------------------------------------------------------------------------- B1 latency

/**
 * B1: sequential runSync of `async (x) => x + 1`. The three subjects are measured in
 * interleaved rounds (ours, synckit, floor, ours, ...) so that a burst of load from
 * elsewhere on this shared machine hits all of them alike instead of one. Each turn is a
 * mean pass and a single-call pass (lib/timing.mjs). The floor worker spins on a core
 * while alive, so it is started and stopped inside its own turn: it must never compete
 * with the other subjects for the machine's two cores.
 */
async function b1(ctx) {
  const { b1Calls, b1Rounds } = SIZE
  const perRound = b1Calls / b1Rounds
  const ours = (i) => ctx.tasks.runSync('inc', i)
  const synckit = ctx.synckit.fn && ((i) => ctx.synckit.fn('inc', i))
  const batches = { ours: [], synckit: [], floor: [] }
  const singles = { ours: [], synckit: [], floor: [] }
  const turn = (name, fn, round) => {
    batches[name].push(...timeBatches(fn, perRound))
    singles[name].push(...timeSingles(fn, perRound, round * perRound))
  }
  // Not in contention runs: with busy processes, two spinning threads measure the scheduler.
  let floorError = contention ? 'not run in contention runs' : undefined

  warmUp(ours, 5_000)
  if (synckit) warmUp(synckit, 1_000)
  for (let round = 0; round < b1Rounds; round++) {
    turn('ours', ours, round)
    if (synckit) turn('synckit', synckit, round)
    if (floorError === undefined) {
      try {
        const floor = await startFloor(floorKind)
        warmUp(floor.call, 5_000, 100)
        turn('floor', floor.call, round)
        await floor.stop()
      } catch (error) {
        floorError = describeError(error)
      }
    }
  }

  const o = summarize(batches.ours, singles.ours)
  const s = synckit ? summarize(batches.synckit, singles.synckit) : undefined
  const f = floorError === undefined ? summarize(batches.floor, singles.floor) : undefined
  ctx.b1Median = o.batchMedian // C1 reports it next to its own host→worker reference
  const details = {
    method: `${b1Calls} calls per subject in ${b1Rounds} interleaved rounds; mean = total time / calls (clock read once per 100 calls); p50/p99 of ${b1Calls} more calls timed one by one, minus the clock loop's own ${round(clockOverhead(), 3)} µs`,
    clockOverheadMicros: round(clockOverhead(), 4),
    ours: o,
    synckit: s ?? null,
    floor: f ?? null,
  }
  const common = { scenario: 'B1', unit: 'µs', details }
  result({
    ...common,
    metric: 'runSync latency mean',
    ours: o.mean,
    stats: { ours: o },
    target: '≤ 3 µs',
    check: ({ ours }) => ours <= 3,
  })
  result({
    ...common,
    metric: 'runSync latency mean vs synckit',
    ours: o.mean,
    peer: peerOf('synckit', s?.mean, ctx.synckit.error),
    stats: { ours: o, peer: s },
    target: '≥ 15x better',
    check: ({ ratio }) => (ratio === null ? null : ratio >= 15),
  })
  result({
    ...common,
    metric: 'runSync latency mean vs floor',
    ours: o.mean,
    peer: peerOf('floor', f?.mean, floorError),
    stats: { ours: o, peer: f },
    target: '≤ 3x worse',
    check: ({ ratio }) => (ratio === null ? null : ratio >= 1 / 3),
  })
}

// ---------------------------------------------------------------------------- B2 payload

/** A 64 KiB string of mixed ASCII (the common case for source text and JSON). */
function makeString() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ {}[]":,0123456789\n'
  let text = ''
  for (let i = 0; i < 64 * 1024; i++) text += alphabet[(i * 7919) % alphabet.length]
  return text
}

function makeBytes() {
  const bytes = new Uint8Array(1024 * 1024)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff
  return bytes
}

/** 1e6 (1e5 in the quick run) small integers, the kind of array the codec's int path serves. */
const makeIntegers = (n) => Array.from({ length: n }, (_, i) => (i * 7919) % 1_000_003)
/** As many doubles (no integer among them). */
const makeDoubles = (n) => Array.from({ length: n }, (_, i) => i * 1.1 + 0.25)
/** A tenth as many small objects, each with a short string: records, rows, AST nodes. */
const makeObjects = (n) => Array.from({ length: n / 10 }, (_, i) => ({ id: i, name: `item-${i}`, ok: (i & 1) === 0 }))

function sameEcho(sent, got) {
  if (typeof sent === 'string') return got === sent
  if (Array.isArray(sent)) {
    if (!Array.isArray(got) || got.length !== sent.length) return false
    return [0, 12345 % sent.length, sent.length - 1].every((i) => JSON.stringify(got[i]) === JSON.stringify(sent[i]))
  }
  return got instanceof Uint8Array && got.length === sent.length && got[12345] === sent[12345] && got[sent.length - 1] === sent[sent.length - 1]
}

/**
 * ms of each echo round trip of `payload`, each timed alone (an echo takes 10 µs or more,
 * the clock's cost is negligible). A subject stops early after `budgetMs` once it has 3
 * echoes: synckit on Deno moves a 1 MiB Uint8Array at ~10 MB/s, and a 1e6-element array
 * takes a second or more per echo on some cells.
 */
function timeEchoes(echo, payload, ops, budgetMs, minOps = 3) {
  const perOp = []
  const end = now() + budgetMs
  while (perOp.length < ops && (perOp.length < minOps || now() < end)) {
    const start = now()
    echo(payload)
    perOp.push(now() - start)
  }
  return perOp
}

/**
 * B2: round trips of a payload through `runSync('echo', value)`: encoded by the host,
 * decoded and re-encoded by the worker, decoded by the host. Subjects in interleaved
 * rounds: ours and synckit (structured clone through a MessagePort) for the 64 KiB string
 * and the 1 MiB bytes; for the 1e6-element arrays, ours and the platform's
 * `structuredClone` applied twice (there and back: `structuredClone(structuredClone(v))`,
 * the same two serialize + deserialize passes as a round trip, with no thread hop), the
 * bound the codec is measured against: warmed up on a 1e4-element array of the same kind,
 * then up to 3 timed echoes each, no new one after 2 s (an echo takes seconds on some
 * cells, more on a busy machine). Rows are ms per round trip, the mean (total time /
 * echoes), with p50/p99 of single echoes (of 3 echoes or fewer, p99 is the slowest).
 */
async function b2(ctx) {
  const n = SIZE.b2LargeLength
  const large = (name, make) => ({ name, payload: make(n), warmPayload: make(10_000), ops: SIZE.b2LargeOps, budgetMs: 2_000, minOps: 1, large: true })
  const cases = [
    { name: '64 KiB string', payload: makeString(), bytes: 64 * 1024, ops: SIZE.b2StringOps, budgetMs: 2_000 },
    { name: '1 MiB Uint8Array', payload: makeBytes(), bytes: 1024 * 1024, ops: SIZE.b2BytesOps, budgetMs: 2_000 },
    large(`${n.toExponential()} integers`, makeIntegers),
    large(`${n.toExponential()} doubles`, makeDoubles),
    large(`${(n / 10).toExponential()} objects`, makeObjects),
  ]
  for (const c of cases) {
    const subjects = { ours: (value) => ctx.tasks.runSync('echo', value) }
    let synckitError = ctx.synckit.error
    // Large arrays: against the platform's clone only (synckit's echo is that clone plus
    // a MessagePort hop, and seconds per cell on the slow cells).
    if (ctx.synckit.fn && !c.large) subjects.synckit = (value) => ctx.synckit.fn('echo', value)
    if (c.large) subjects.structuredClone = (value) => structuredClone(structuredClone(value))
    if (!sameEcho(c.payload, subjects.ours(c.payload))) throw new Error(`B2 ${c.name}: our echo returned something else`)
    if (subjects.synckit && !sameEcho(c.payload, subjects.synckit(c.payload))) {
      synckitError = 'synckit echo returned something else'
      delete subjects.synckit
    }
    const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]))
    const rounds = c.large ? 1 : SIZE.b2Rounds
    const perRound = Math.ceil(c.ops / rounds)
    // Large arrays warm up on a 1e4-element array of the same kind: the same code paths,
    // without paying seconds per warm-up echo.
    const warm = c.large ? 3 : Math.max(1, Math.ceil(c.ops / 10))
    for (const fn of Object.values(subjects)) timeEchoes(fn, c.warmPayload ?? c.payload, warm, 500)
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of Object.entries(subjects)) samples[name].push(...timeEchoes(fn, c.payload, perRound, c.budgetMs, c.minOps))
    }
    const stat = (list) =>
      list?.length
        ? { mean: list.reduce((a, b) => a + b, 0) / list.length, p50: quantile(list, 0.5), p99: quantile(list, 0.99), echoes: list.length }
        : undefined
    const o = stat(samples.ours)
    const sk = stat(samples.synckit)
    const sc = stat(samples.structuredClone)
    const mbps = (st) => (st && c.bytes ? round(c.bytes / 1e6 / (st.mean / 1000), 1) : null)
    const details = {
      method: c.large
        ? `up to ${c.ops} echoes per subject (at least 1, no new one after ${c.budgetMs / 1000} s) after ${warm} warm-up echoes of a 1e4-element array of the same kind; each echo timed alone; mean = total / echoes`
        : `up to ${c.ops} echoes per subject in ${rounds} interleaved rounds (at least 3, at most ~${c.budgetMs / 1000} s per round) after up to ${warm} warm-up; each echo timed alone; mean = total / echoes`,
      ours: o,
      synckit: sk ?? null,
      structuredCloneTwice: sc ?? null,
      ...(c.bytes ? { oursMBps: mbps(o), synckitMBps: mbps(sk) } : {}),
    }
    const common = { scenario: 'B2', unit: 'ms', ours: o.mean, details }
    if (sc) {
      result({
        ...common,
        metric: `echo ${c.name} mean vs structuredClone twice`,
        peer: { name: 'structuredClone×2', value: sc.mean },
        stats: { ours: o, peer: sc },
        target: '≤ 1.5x worse',
        check: ({ ratio }) => ratio >= 1 / 1.5,
      })
    }
    if (c.large) continue
    result({
      ...common,
      metric: `echo ${c.name} mean vs synckit`,
      peer: peerOf('synckit', sk?.mean, synckitError),
      stats: { ours: o, peer: sk },
      target: '≥ 3x better',
      check: ({ ratio }) => (ratio === null ? null : ratio >= 3),
    })
  }
}

// ---------------------------------------------------------------------------- B3 cold start

/**
 * B3: time from createBridge (backend factory included) to the first result, a fresh
 * bridge and so a fresh worker thread each sample; vs synckit's createSyncFn + first call,
 * each sample on its own copy of the worker file (synckit caches per path). One extra
 * sample of each is run first and discarded: it pays one-time costs of this process
 * (loading the worker entry code from disk, compiling it) that a real program pays once.
 * Samples alternate between the two subjects; the bridge is closed outside the timing.
 */
async function b3(ctx) {
  const samples = SIZE.b3Samples
  const ours = []
  const theirs = []
  const factory = await synckitFactory()
  const copies = coldSynckitCopies(samples + 1)
  let synckitError = factory.error
  try {
    for (let i = 0; i <= samples; i++) {
      const start = now()
      const bridge = createBridge({ backend: ctx.makeBackend() })
      const value = bridge.load(tasksUrl).runSync('inc', 1)
      const ms = now() - start
      bridge.close()
      if (value !== 2) throw new Error(`cold call returned ${value}`)
      if (i > 0) ours.push(ms)
      await sleep(20) // let the closed worker's thread wind down outside the next sample
      if (synckitError) continue
      try {
        const t0 = now()
        const fn = factory.createSyncFn(copies.paths[i], { timeout: 15_000 })
        const got = fn('inc', 1)
        const t = now() - t0
        if (got !== 2) throw new Error(`synckit cold call returned ${got}`)
        if (i > 0) theirs.push(t)
      } catch (error) {
        synckitError = describeError(error)
      }
      await sleep(20)
    }
  } finally {
    copies.cleanup()
  }
  result({
    scenario: 'B3',
    metric: 'cold start to first result',
    unit: 'ms',
    ours: median(ours),
    peer: peerOf('synckit', synckitError ? undefined : median(theirs), synckitError),
    target: 'not worse',
    check: ({ ratio }) => (ratio === null ? null : ratio >= 1),
    details: {
      method: `median of ${samples} samples after 1 discarded, fresh bridge / fresh createSyncFn path each`,
      ours: ours.map((v) => round(v, 2)),
      synckit: theirs.map((v) => round(v, 2)),
    },
  })
}

// ---------------------------------------------------------------------------- B4 idle cost

/**
 * B4: CPU burnt by the host while blocked in one call that sleeps 1 s on the worker.
 * Main thread only, from its own schedstat counter (the cost our wait policy controls:
 * spin briefly, then park); the whole process's CPU (the worker, the runtime's threads)
 * is reported alongside for context. The bridge is warm, as in real use.
 */
function idleCost(call) {
  const main0 = mainThreadCpuNs()
  const proc0 = processCpuNs()
  const start = now()
  const value = call()
  const wallMs = now() - start
  const mainMs = (mainThreadCpuNs() - main0) / 1e6
  const procMs = (processCpuNs() - proc0) / 1e6
  if (value !== SIZE.b4SleepMs) throw new Error(`sleep call returned ${value}`)
  return { mainMs, procMs, wallMs }
}

async function b4(ctx) {
  const check = checkMainThreadCpu()
  if (!check.ok) throw new Error(`main-thread CPU counter does not follow JS here (${check.wallMs} ms of burning read as ${check.burnedMs} ms)`)
  const ours = []
  const theirs = []
  for (let i = 0; i < SIZE.b4Samples; i++) {
    ours.push(idleCost(() => ctx.tasks.runSync('sleep', SIZE.b4SleepMs)))
    if (ctx.synckit.fn) theirs.push(idleCost(() => ctx.synckit.fn('sleep', SIZE.b4SleepMs)))
  }
  const med = (list, key) => median(list.map((s) => s[key]))
  const details = {
    method: `${SIZE.b4Samples} blocked calls of ${SIZE.b4SleepMs} ms each, median; main thread from /proc/self/task/<pid>/schedstat`,
    mainThreadCheck: check,
    ours: ours.map((s) => ({ mainMs: round(s.mainMs, 3), procMs: round(s.procMs, 3), wallMs: round(s.wallMs, 1) })),
    synckit: theirs.map((s) => ({ mainMs: round(s.mainMs, 3), procMs: round(s.procMs, 3), wallMs: round(s.wallMs, 1) })),
  }
  result({
    scenario: 'B4',
    metric: `main-thread CPU while blocked ${SIZE.b4SleepMs / 1000} s`,
    unit: 'ms',
    ours: med(ours, 'mainMs'),
    peer: peerOf('synckit', theirs.length ? med(theirs, 'mainMs') : undefined, ctx.synckit.error),
    target: '< 20 ms',
    check: ({ ours }) => ours < 20,
    details,
  })
  result({
    scenario: 'B4',
    metric: `process CPU while blocked ${SIZE.b4SleepMs / 1000} s (context)`,
    unit: 'ms',
    ours: med(ours, 'procMs'),
    peer: peerOf('synckit', theirs.length ? med(theirs, 'procMs') : undefined, ctx.synckit.error),
    details: { method: 'sum of schedstat over all live threads of the process' },
  })
}

// ---------------------------------------------------------------------------- B5 memory

/**
 * B5: RSS growth over many calls on a warm bridge, GC forced before each reading where the
 * runtime allows it (only the host heap can be collected on demand; the worker collects
 * its own). A growing trajectory means a leak; a step at the start that then stays flat
 * is allocator warm-up. The reported growth is read 50 ms after the last call and a GC
 * (what stays allocated); the readings taken during the run, right after a GC, are in
 * the details with their peak (Bun's allocator returns memory to the OS lazily, so those
 * read several MB higher there). On a busy machine a call can take 100 µs or more: the
 * run then stops after the tenth that passes `b5BudgetMs` (a minute), and says so.
 */
async function b5(ctx) {
  const calls = SIZE.b5Calls
  const tenth = calls / 10
  const stopAt = now() + SIZE.b5BudgetMs
  warmUp((i) => ctx.tasks.runSync('inc', i), 10_000)
  const gc = forceGc()
  await sleep(50)
  const before = rss()
  const tenths = []
  for (let done = 0; done < calls && now() < stopAt; done += tenth) {
    const start = now()
    for (let i = done; i < done + tenth; i++) {
      if (ctx.tasks.runSync('inc', i) !== i + 1) throw new Error(`call ${i} returned a wrong result`)
    }
    const callMs = now() - start
    const gcStart = now()
    forceGc() // outside the call timing: the mean call time below is the calls' alone
    tenths.push({ growthMB: round((rss() - before) / 1e6, 2), meanCallMicros: round((callMs * 1000) / tenth, 3), gcMs: round(now() - gcStart, 1) })
  }
  await sleep(50)
  forceGc()
  const growth = (rss() - before) / 1e6
  const made = tenths.length * tenth
  result({
    scenario: 'B5',
    metric: `RSS growth over ${made / 1e6}M calls`,
    unit: 'MB',
    ours: growth,
    target: '< 20 MB',
    check: ({ ours }) => ours < 20,
    details: {
      gcForced: gc,
      calls: made,
      stoppedByTimeBudget: made < calls ? `${made} of ${calls} calls within ${SIZE.b5BudgetMs / 1000} s` : false,
      rssBeforeMB: round(before / 1e6, 1),
      heapUsedAfterMB: round(process.memoryUsage().heapUsed / 1e6, 1),
      peakGrowthMB: Math.max(...tenths.map((t) => t.growthMB)),
      tenths,
    },
  })
}

// ---------------------------------------------------------------------------- C1 callbacks

/** C1: callbacks per host runSync, timed as one batch. */
const C1_BATCH = 100

/**
 * C1: a worker calling back into the host during a sync call. One host runSync of the
 * fixture's `echoLoop(100, start)` makes 100 sequential `fromThread.runSync('echo', i)`
 * calls, each served inline by the host's wait loop (the host is blocked in that runSync)
 * while the worker blocks until answered; the call's time / 100 is one callback round trip
 * (plus 1/100 of the enclosing host→worker call). Also through a callback argument
 * (`callbackLoop(100, start, (x) => x + 1)`, a fresh proxy per call).
 *
 * With the default wait policy the host spins only for the first `wait.spinMicros`
 * (100 µs) of each runSync and then parks, so later callbacks each pay a wake-up, and a
 * few misses put the host in its short-spin mode: a batch of 100 is either all fast or
 * mostly slow, and the median can land on either mode. The details give the share of
 * slow batches (over 5x the host→worker median per callback). A third subject runs the
 * same loop on a bridge whose host spins through the whole call (spinMicros 1 s): the
 * cost of the callback protocol itself, without parking.
 *
 * There is no peer with this feature. For context, each row's peer is the reverse
 * direction measured the B1 way (`runSync('inc', i)`, batches of 100) on the default
 * bridge, in rounds interleaved with the callback loops; B1's own median from this cell,
 * if B1 ran, is in the details. Bridges of their own (they need `expose`), closed at the end.
 */
async function c1(ctx) {
  const { c1Callbacks, c1Rounds, c1WarmMs } = SIZE
  const perRound = c1Callbacks / c1Rounds
  const expose = { echo: (x) => x }
  const bridges = []
  try {
    const open = (options) => {
      const bridge = createBridge({ backend: ctx.makeBackend(), expose, ...KEEP_WARM, ...options })
      bridges.push(bridge)
      const loops = bridge.load(callbacksUrl)
      if (loops.runSync('init', new URL('worker.js', dist).href) !== true) throw new Error('C1 fixture could not load fromThread')
      return { loops, tasks: bridge.load(tasksUrl) }
    }
    const fallback = open({})
    const spinning = open({ wait: { spinMicros: 1_000_000 } })
    const plusOne = (x) => x + 1
    /** µs per callback of each batch: one runSync of `name` making C1_BATCH callbacks. */
    const timeLoops = (loops, name, callbacks, offset, extra = []) => {
      const perCallback = []
      for (let done = 0; done < callbacks; done += C1_BATCH) {
        const start = now()
        const n = loops.runSync(name, C1_BATCH, offset + done, ...extra)
        perCallback.push(((now() - start) * 1000) / C1_BATCH)
        if (n !== C1_BATCH) throw new Error(`C1 ${name} returned ${n}`)
      }
      return perCallback
    }
    /** µs of each single callback, timed on the worker (fixture's timedLoop), C1_BATCH per runSync as above. */
    const timeSingleCallbacks = (loops, callbacks, offset, callback) => {
      const singles = []
      for (let done = 0; done < callbacks; done += C1_BATCH) {
        const list = loops.runSync('timedLoop', C1_BATCH, offset + done, ...(callback ? [callback] : []))
        if (list.length !== C1_BATCH) throw new Error(`C1 timedLoop returned ${list.length} timings`)
        singles.push(...list)
      }
      return singles
    }
    const subjects = {
      byName: (callbacks, offset) => timeLoops(fallback.loops, 'echoLoop', callbacks, offset),
      byArgument: (callbacks, offset) => timeLoops(fallback.loops, 'callbackLoop', callbacks, offset, [plusOne]),
      spinning: (callbacks, offset) => timeLoops(spinning.loops, 'echoLoop', callbacks, offset),
      reference: (calls) => timeBatches((i) => fallback.tasks.runSync('inc', i), calls, 100),
    }
    const singleSubjects = {
      byName: (callbacks, offset) => timeSingleCallbacks(fallback.loops, callbacks, offset),
      byArgument: (callbacks, offset) => timeSingleCallbacks(fallback.loops, callbacks, offset, plusOne),
      spinning: (callbacks, offset) => timeSingleCallbacks(spinning.loops, callbacks, offset),
      reference: (calls, offset) => timeSingles((i) => fallback.tasks.runSync('inc', i), calls, offset),
    }
    const samples = { byName: [], byArgument: [], spinning: [], reference: [] }
    const singles = { byName: [], byArgument: [], spinning: [], reference: [] }

    // Warm-up as B1's: >= 5000 round trips and >= c1WarmMs of each, so both threads' JITs settle.
    for (const name of ['byName', 'byArgument', 'spinning']) {
      const end = now() + c1WarmMs
      for (let done = 0; done < 5_000 || now() < end; done += 1_000) subjects[name](1_000, done)
      singleSubjects[name](1_000, 0)
    }
    warmUp((i) => fallback.tasks.runSync('inc', i), 5_000, c1WarmMs)
    for (let round = 0; round < c1Rounds; round++) {
      for (const name of ['byName', 'byArgument', 'spinning', 'reference']) {
        samples[name].push(...subjects[name](perRound, round * perRound))
        singles[name].push(...singleSubjects[name](perRound, round * perRound))
      }
    }

    const reference = summarize(samples.reference, singles.reference)
    const slowOver = 5 * reference.batchMedian
    const stat = (name) => {
      const list = samples[name]
      return {
        ...summarize(list, singles[name], C1_BATCH),
        maxBatchMs: round((Math.max(...list) * C1_BATCH) / 1000, 2),
        slowBatchShare: round(list.filter((v) => v > slowOver).length / list.length, 3),
        medianOfFastBatches: list.some((v) => v <= slowOver) ? median(list.filter((v) => v <= slowOver)) : null,
        medianOfSlowBatches: list.some((v) => v > slowOver) ? median(list.filter((v) => v > slowOver)) : null,
      }
    }
    const details = {
      method: `${c1Callbacks} callbacks per subject in ${c1Rounds} interleaved rounds, ${C1_BATCH} per host runSync (one batch), after a warm-up of >= 5000 and >= ${c1WarmMs} ms; mean = total time / callbacks; p50/p99 of ${c1Callbacks} more callbacks each timed alone on the worker (loop cost subtracted), ${C1_BATCH} per runSync likewise; slow batch: over 5x the host→worker batch median per callback. Peer: host→worker runSync('inc') timed the B1 way on the default bridge, same rounds; no target (no peer library has this)`,
      byName: stat('byName'),
      byArgument: stat('byArgument'),
      hostSpinningThroughout: stat('spinning'),
      hostToWorker: reference,
      b1ScenarioBatchMedian: ctx.b1Median ?? null,
    }
    const peer = { name: 'B1 runSync', value: reference.mean }
    const row = (metric, ours) => result({ scenario: 'C1', metric, unit: 'µs', ours: ours.mean, peer, stats: { ours, peer: reference }, details })
    row(`callback round trip mean, fromThread.runSync('echo'), ${C1_BATCH} per runSync`, details.byName)
    row(`callback round trip mean, callback argument, ${C1_BATCH} per runSync`, details.byArgument)
    row(`callback round trip mean, host spinning throughout (wait.spinMicros 1 s)`, details.hostSpinningThroughout)
  } finally {
    for (const bridge of bridges) bridge.close()
    await sleep(20) // let the closed workers' threads wind down before the next scenario
  }
}

// ---------------------------------------------------------------------------- P1, P2 pool

/**
 * The subjects of P1/P2: our pool (`handle.run('add1', x)`, a bridge of its own with
 * minThreads = maxThreads = POOL_THREADS and the default limiter) and the pool peers,
 * all with the same thread count. A peer that cannot start on this runtime is kept with
 * its exact error (reported n/a); ours failing to start fails the scenario.
 */
async function startPools(ctx, scenario) {
  const bridge = createBridge({ backend: ctx.makeBackend(), pool: { minThreads: POOL_THREADS, maxThreads: POOL_THREADS } })
  const handle = bridge.load(tasksUrl)
  const probe = await withDeadline(handle.run('add1', 1), 30_000, 'our first run() task')
  if (probe !== 2) throw new Error(`our first run() task returned ${probe}`)
  const subjects = [{ name: 'ours', run: (x) => handle.run('add1', x), close: () => bridge.close() }]
  for (const name of poolPeerNames) {
    const peer = await startPoolPeer(name, POOL_THREADS)
    if (peer.error) emit({ type: 'peer-error', scenario, peer: name, error: peer.error })
    subjects.push({ name, ...peer })
  }
  return {
    subjects,
    /** Runs `measure(subject)` under a deadline; a peer that fails or hangs is dropped with its error. */
    async measure(subject, what, measure, ms = 60_000) {
      if (subject.error) return
      try {
        return await withDeadline(measure(subject), ms, `${subject.name} ${what}`)
      } catch (error) {
        if (subject.name === 'ours') throw error
        subject.error = describeError(error)
        emit({ type: 'peer-error', scenario, peer: subject.name, error: subject.error })
        closePool(subject)
      }
    },
    async close() {
      for (const s of subjects) if (!s.error) await closePool(s)
    },
  }
}

/**
 * Runs `tasks` tasks through `run` with `inFlight` async lanes, each awaiting one task
 * at a time before taking the next number; checks every result. Returns elapsed ms.
 */
async function runLanes(run, tasks, inFlight, offset = 0) {
  let next = 0
  const lane = async () => {
    while (next < tasks) {
      const i = offset + next++
      const value = await run(i)
      if (value !== i + 1) throw new Error(`task ${i} returned ${value}`)
    }
  }
  const start = now()
  await Promise.all(Array.from({ length: Math.min(inFlight, tasks) }, lane))
  return now() - start
}

/** Time- and count-based warm-up of a pool: at least `tasks` tasks and at least `ms`. */
async function warmUpPool(run, tasks, ms, inFlight) {
  const end = now() + ms
  for (let done = 0; done < tasks || now() < end; done += 1_000) await runLanes(run, 1_000, inFlight, done)
}

const POOL_NOTE = `every pool has minThreads = maxThreads = ${POOL_THREADS} (available parallelism); peers on their defaults otherwise`

/**
 * P1: throughput of `run()` with 64 tasks in flight, vs piscina and tinypool in this same
 * process. Subjects take turns in rounds (ours, piscina, tinypool, ours, ...) so that a
 * burst of load from elsewhere hits all of them; the reported figure is the median
 * round's tasks per second.
 */
async function p1(ctx) {
  const { p1Tasks, p1Rounds, poolWarmMs } = SIZE
  const perRound = p1Tasks / p1Rounds
  const pools = await startPools(ctx, 'P1')
  const rounds = Object.fromEntries(pools.subjects.map((s) => [s.name, []]))
  const totalMs = Object.fromEntries(pools.subjects.map((s) => [s.name, 0]))
  try {
    for (const s of pools.subjects) await pools.measure(s, 'P1 warm-up', () => warmUpPool(s.run, SIZE.poolWarmTasks, poolWarmMs, P1_IN_FLIGHT))
    for (let round = 0; round < p1Rounds; round++) {
      for (const s of pools.subjects) {
        const ms = await pools.measure(s, `P1 round ${round + 1}`, () => runLanes(s.run, perRound, P1_IN_FLIGHT, round * perRound))
        if (ms !== undefined) {
          rounds[s.name].push((perRound / ms) * 1000)
          totalMs[s.name] += ms
        }
      }
    }
  } finally {
    await pools.close()
  }
  /** The mean: all tasks / all rounds' time, so a slow round weighs what it cost. */
  const opsPerSec = (name) => (rounds[name].length === p1Rounds ? (p1Tasks / totalMs[name]) * 1000 : undefined)
  const details = {
    method: `${p1Tasks} tasks per subject in ${p1Rounds} interleaved rounds of ${perRound}, ${P1_IN_FLIGHT} in flight, after a warm-up of >= ${poolWarmMs} ms and >= ${SIZE.poolWarmTasks} tasks; figure = all tasks / total time of the rounds (the mean); roundsOpsPerSec has each round`,
    meanOpsPerSec: Object.fromEntries(pools.subjects.map((s) => [s.name, opsPerSec(s.name) === undefined ? null : round(opsPerSec(s.name), 0)])),
    medianRoundOpsPerSec: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.length === p1Rounds ? round(median(v), 0) : null])),
    threads: POOL_THREADS,
    note: POOL_NOTE,
    roundsOpsPerSec: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.map((x) => round(x, 0))])),
  }
  for (const s of pools.subjects.slice(1)) {
    result({
      scenario: 'P1',
      metric: `run() throughput (mean), ${P1_IN_FLIGHT} in flight, ${POOL_THREADS} threads, vs ${s.name}`,
      unit: 'ops/s',
      better: 'higher',
      ours: opsPerSec('ours'),
      peer: peerOf(s.name, opsPerSec(s.name), s.error),
      ...(s.name === 'piscina' ? { target: '≥ 2x better', check: ({ ratio }) => (ratio === null ? null : ratio >= 2) } : {}),
      details,
    })
  }
}

/**
 * P2: latency of one `run()` task at a time (each awaited before the next), median of
 * 100-task batch means as in B1, vs piscina and tinypool, in interleaved rounds.
 */
async function p2(ctx) {
  const { p2Tasks, p2Rounds, poolWarmMs } = SIZE
  const perRound = p2Tasks / p2Rounds
  const batch = 100
  const pools = await startPools(ctx, 'P2')
  const samples = Object.fromEntries(pools.subjects.map((s) => [s.name, []]))
  const singles = Object.fromEntries(pools.subjects.map((s) => [s.name, []]))
  const done = Object.fromEntries(pools.subjects.map((s) => [s.name, 0]))
  /** One turn: the mean pass, then the single-task pass (lib/timing.mjs). */
  const turn = async (s, round) => {
    const list = await timeBatchesAsync(s.run, perRound, batch)
    const one = await timeSinglesAsync(s.run, perRound, round * perRound)
    return { list, one }
  }
  try {
    for (const s of pools.subjects) await pools.measure(s, 'P2 warm-up', () => warmUpPool(s.run, Math.min(2_000, SIZE.poolWarmTasks), poolWarmMs, 1))
    for (let round = 0; round < p2Rounds; round++) {
      for (const s of pools.subjects) {
        const got = await pools.measure(s, `P2 round ${round + 1}`, () => turn(s, round))
        if (got !== undefined) {
          samples[s.name].push(...got.list)
          singles[s.name].push(...got.one)
          done[s.name]++
        }
      }
    }
  } finally {
    await pools.close()
  }
  const stat = (name) => (done[name] === p2Rounds ? summarize(samples[name], singles[name], batch) : null)
  const details = {
    method: `${p2Tasks} sequential tasks per subject in ${p2Rounds} interleaved rounds, after a warm-up of >= ${poolWarmMs} ms and >= ${Math.min(2_000, SIZE.poolWarmTasks)} tasks; mean = total time / tasks (clock read once per ${batch}); p50/p99 of ${p2Tasks} more tasks timed one by one, minus the clock loop's own ${round(clockOverhead(), 3)} µs`,
    threads: POOL_THREADS,
    note: POOL_NOTE,
    ...Object.fromEntries(pools.subjects.map((s) => [s.name, stat(s.name)])),
  }
  const ours = stat('ours')
  for (const s of pools.subjects.slice(1)) {
    result({
      scenario: 'P2',
      metric: `run() latency mean, sequential, ${POOL_THREADS} threads, vs ${s.name}`,
      unit: 'µs',
      ours: ours.mean,
      peer: peerOf(s.name, stat(s.name)?.mean, s.error),
      stats: { ours, peer: stat(s.name) },
      ...(s.name === 'piscina' ? { target: 'lower', check: ({ ratio }) => (ratio === null ? null : ratio > 1) } : {}),
      details,
    })
  }
}

// ---------------------------------------------------------------------------- C2 portal

/**
 * C2: a blocking portal driven from sync code. `runSync` on a portal uses the same
 * channel as B1, on the portal's own thread. A future round trip,
 * `startTaskSoon('inc', i).result()`, travels through the worker's port instead (tasks
 * run side by side there, so they cannot share the one-call channel) and is read back
 * without the host's event loop. Peer: synckit, the other way for sync code to block on
 * a result from another thread's event loop. Interleaved rounds, as in B1.
 */
async function c2(ctx) {
  const { c2Calls, c2Rounds } = SIZE
  const perRound = c2Calls / c2Rounds
  const batch = 100
  const portal = ctx.bridge.startBlockingPortal()
  const tasks = portal.load(tasksUrl)
  const sync = (i) => tasks.runSync('inc', i)
  const future = (i) => tasks.startTaskSoon('inc', i).result()
  const synckit = ctx.synckit.fn && ((i) => ctx.synckit.fn('inc', i))
  const samples = { sync: [], future: [], synckit: [] }
  const singles = { sync: [], future: [], synckit: [] }
  const turn = (name, fn, round) => {
    samples[name].push(...timeBatches(fn, perRound, batch))
    singles[name].push(...timeSingles(fn, perRound, round * perRound))
  }
  try {
    warmUp(sync, 5_000)
    warmUp(future, 2_000)
    if (synckit) warmUp(synckit, 1_000)
    for (let round = 0; round < c2Rounds; round++) {
      turn('sync', sync, round)
      turn('future', future, round)
      if (synckit) turn('synckit', synckit, round)
    }
  } finally {
    portal.stop()
  }
  const stat = (name) => summarize(samples[name], singles[name], batch)
  const s = synckit && stat('synckit')
  const details = {
    method: `${c2Calls} calls per subject in ${c2Rounds} interleaved rounds; mean = total time / calls (clock read once per ${batch}); p50/p99 of ${c2Calls} more calls timed one by one, minus the clock loop's own ${round(clockOverhead(), 3)} µs`,
    sync: stat('sync'),
    future: stat('future'),
    synckit: s ?? null,
  }
  const peer = peerOf('synckit', s?.mean, ctx.synckit.error)
  const row = (metric, ours) => result({ scenario: 'C2', metric, unit: 'µs', ours: ours.mean, peer, stats: { ours, peer: s }, details })
  row('portal runSync mean', details.sync)
  row('portal future round trip mean, startTaskSoon().result()', details.future)
}

// ---------------------------------------------------------------------------- main

async function main() {
  emit({ type: 'meta', runtimeVersion, quick, busy, gc: forceGc(), pid: process.pid })
  const makeBackend = await loadBackendFactory()
  const bridge = createBridge({ backend: makeBackend(), ...KEEP_WARM })
  const tasks = bridge.load(tasksUrl)
  if (tasks.runSync('inc', 1) !== 2) throw new Error('first call returned a wrong result')
  const ctx = { makeBackend, bridge, tasks, synckit: await startSynckit() }
  if (ctx.synckit.error) emit({ type: 'peer-error', peer: 'synckit', error: ctx.synckit.error })

  // B3 runs last: each synckit sample leaves an idle worker behind (synckit has no close),
  // which must not weigh on the other scenarios.
  const scenarios = { B1: b1, B2: b2, B4: b4, B5: b5, C1: c1, C2: c2, P1: p1, P2: p2, B3: b3 }
  const picked = process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',') : Object.keys(scenarios)
  for (const name of picked) if (!(name in scenarios)) throw new Error(`unknown scenario ${name}; scenarios: ${Object.keys(scenarios).join(', ')}`)
  for (const [name, run] of Object.entries(scenarios)) {
    if (!picked.includes(name)) continue
    progress(`${name} start`)
    const start = now()
    try {
      await run(ctx)
    } catch (error) {
      emit({ type: 'error', scenario: name, error: describeError(error), stack: error?.stack })
    }
    progress(`${name} done in ${(now() - start).toFixed(0)} ms, rss ${(rss() / 1e6).toFixed(0)} MB`)
  }
  bridge.close()
  emit({ type: 'done' })
}

await main()
