// The benchmark orchestrator: runs bench/scenarios.mjs once per runtime x backend cell,
// each in its own child process (one runtime per process, nothing shared between cells),
// one after the other (never in parallel: the cells would compete for the two cores).
// Collects the JSON lines the children print, then prints a table and writes
// bench/results.json and bench/chart.svg (or, with --out, other files).
//
//   node bench/run.mjs                    all cells, full size (a few minutes)
//   node bench/run.mjs --quick            all cells, short smoke run
//   node bench/run.mjs --only deno/deno   one cell (repeat --only, or comma-separate, for more)
//   node bench/run.mjs --scenarios P1,P2  only these scenarios (B1–B5 runSync, C1 worker→host
//                                         callbacks, P1–P2 run() pool)
//   node bench/run.mjs --out PATH.json    write PATH.json and PATH.svg instead of bench/results.json
//                                         and bench/chart.svg (also $BENCH_OUT). A quick or partial
//                                         run (--quick, --only, --scenarios) without --out writes
//                                         to the OS temp folder: it must not replace the full results
//   node bench/run.mjs --busy 0,1,2       contention: after each cell's main run, run B1 and P1
//                                         again with 0, then 1, then 2 busy processes beside the
//                                         cell (smaller sizes, no floor); a table per number of
//                                         busy processes. With --scenarios B1,P1 the main run is
//                                         skipped: contention only
//
// With --busy, the busy processes (scripts/busy.mjs) are started and stopped by this
// script around each contended cell, each bounded to the cell's timeout, and killed if
// this script exits, fails or gets SIGINT/SIGTERM/SIGHUP.
//
// Build first (`npx tsup`): the scenarios import ../dist.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBusy } from '../scripts/busy.mjs'
import { cells, runner } from '../scripts/cells.mjs'
import { renderChart } from './lib/chart.mjs'
import { formatContention, formatTable } from './lib/table.mjs'

const here = (name) => fileURLToPath(new URL(name, import.meta.url))

/** Flags each runtime needs so the scenarios can force a GC (B5). */
const GC_FLAGS = { node: ['--expose-gc'], deno: ['--v8-flags=--expose-gc'], bun: [] }

/** A cell that has not finished by then is killed and reported, so the run always ends. */
const CELL_TIMEOUT_MS = { quick: 120_000, full: 480_000 }
/** After its last line a cell must exit by itself; not doing so is an anomaly worth reporting. */
const EXIT_GRACE_MS = 10_000

/** What a contended cell runs: sync latency and pool throughput, each with its peers. */
const CONTENTION_SCENARIOS = ['B1', 'P1']

/** What is running now, so a signal can stop it: the current cell's child, the busy processes, the dist copy. */
const running = { child: undefined, stopBusy: undefined, dist: undefined }

function stopRunning() {
  running.stopBusy?.()
  running.stopBusy = undefined
  if (running.child && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL')
  if (running.dist) rmSync(running.dist, { recursive: true, force: true })
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    stopRunning()
    log(`bench: ${signal}, stopped the running cell and busy processes`)
    process.exit(130)
  })
}
process.once('exit', stopRunning)

function parseArgs(argv) {
  const options = { quick: false, only: [], scenarios: [], busy: [], out: process.env.BENCH_OUT || undefined }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--quick') options.quick = true
    else if (arg === '--only') options.only.push(...argv[++i].split(','))
    else if (arg.startsWith('--only=')) options.only.push(...arg.slice(7).split(','))
    else if (arg === '--scenarios') options.scenarios.push(...argv[++i].split(','))
    else if (arg.startsWith('--scenarios=')) options.scenarios.push(...arg.slice(12).split(','))
    else if (arg === '--busy') options.busy.push(...argv[++i].split(','))
    else if (arg.startsWith('--busy=')) options.busy.push(...arg.slice(7).split(','))
    else if (arg === '--out') options.out = argv[++i]
    else if (arg.startsWith('--out=')) options.out = arg.slice(6)
    else throw new Error(`unknown argument ${arg}; use --quick, --only runtime/backend, --scenarios B1,P1, --busy 1,2 and/or --out path.json`)
  }
  options.busy = [...new Set(options.busy.map(Number))].sort((a, b) => a - b)
  if (options.busy.some((k) => !Number.isInteger(k) || k < 0 || k > 8)) throw new Error('--busy takes counts of busy processes from 0 to 8, e.g. --busy 1,2')
  const known = cells.map((c) => `${c.runtime}/${c.backend}`)
  for (const name of options.only) {
    if (!known.includes(name)) throw new Error(`unknown cell ${name}; cells: ${known.join(', ')}`)
  }
  return options
}

/**
 * Runs one cell. Every stdout line must be one of our JSON records; anything else on
 * stdout, and everything on stderr, is stray output from the code under test and kept.
 */
function runCell(cell, quick, dist, scenarios, busy = null) {
  const [command, ...prefix] = runner(cell.runtime)
  const args = [...prefix, ...GC_FLAGS[cell.runtime], here('./scenarios.mjs')]
  const name = `${cell.runtime}/${cell.backend}${busy === null ? '' : ` (${busy} busy)`}`
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: {
        ...process.env,
        ANYTHREAD_DIST: dist,
        ANYTHREAD_BACKEND: cell.backend,
        BENCH_QUICK: quick ? '1' : '0',
        BENCH_SCENARIOS: scenarios.join(','),
        BENCH_BUSY: busy === null ? '' : String(busy),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    running.child = child
    const outcome = { cell: name, busy, records: [], strayStdout: [], stderr: '', problems: [], exitCode: null, signal: null }
    let doneAt
    let graceTimer
    let pending = ''
    const onLine = (line) => {
      let record
      try {
        record = line.startsWith('{') ? JSON.parse(line) : undefined
      } catch {}
      if (record === undefined) return void (line.trim() && outcome.strayStdout.push(line))
      // busy: null for the main run, K for a contention run (K = 0 included)
      outcome.records.push({ ...record, busy })
      if (record.type === 'progress') log(`  ${name}: ${record.message}`)
      if (record.type === 'error') log(`  ${name}: ${record.scenario} FAILED: ${record.error}`)
      if (record.type === 'done') {
        doneAt = performance.now()
        graceTimer = setTimeout(() => kill(`did not exit within ${EXIT_GRACE_MS / 1000} s after its last result`), EXIT_GRACE_MS)
      }
    }
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      const lines = (pending + chunk).split('\n')
      pending = lines.pop()
      lines.forEach(onLine)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (outcome.stderr += chunk))
    const kill = (why) => {
      outcome.problems.push(why)
      child.kill('SIGKILL')
    }
    const timeout = quick ? CELL_TIMEOUT_MS.quick : CELL_TIMEOUT_MS.full
    const cellTimer = setTimeout(() => kill(`killed after ${timeout / 1000} s`), timeout)
    child.on('close', (exitCode, signal) => {
      running.child = undefined
      clearTimeout(cellTimer)
      clearTimeout(graceTimer)
      if (pending) onLine(pending)
      outcome.exitCode = exitCode
      outcome.signal = signal
      outcome.seconds = (performance.now() - started) / 1000
      if (doneAt !== undefined) outcome.exitSeconds = (performance.now() - doneAt) / 1000
      if (doneAt === undefined && !outcome.problems.length) outcome.problems.push(`ended before finishing (exit code ${exitCode}, signal ${signal})`)
      else if (exitCode !== 0 && signal === null) outcome.problems.push(`exit code ${exitCode}`)
      resolve(outcome)
    })
  })
}

const log = (message) => process.stderr.write(`${message}\n`)

function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Number((os.totalmem() / 1e9).toFixed(1)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  }
}

/** Which code was measured: the commit, whether the tree had changes, when dist/ was built. */
function build() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: here('..'), encoding: 'utf8' }).trim()
    } catch {
      return null
    }
  }
  let distBuiltAt = null
  try {
    distBuiltAt = statSync(here('../dist/index.js')).mtime.toISOString()
  } catch {}
  return { commit: git('rev-parse', 'HEAD'), uncommittedChanges: (git('status', '--porcelain') ?? '') !== '', distBuiltAt }
}

async function main() {
  let options
  try {
    options = parseArgs(process.argv.slice(2))
  } catch (error) {
    log(error.message)
    process.exitCode = 2
    return
  }
  const selected = cells.filter((c) => options.only.length === 0 || options.only.includes(`${c.runtime}/${c.backend}`))
  const info = machine()
  const started = performance.now()
  log(
    `anythread bench: ${options.quick ? 'quick' : 'full'} run of ${selected.length} cell(s) on ${info.cores} x ${info.cpu}, load ${info.loadAverageAtStart.join(' ')}`,
  )

  // Every cell measures the same build, even if dist/ is rebuilt meanwhile (tsup wipes
  // it first, so a cell starting mid-build would not even find it): a private copy.
  const buildInfo = build()
  const dist = here(`./.dist-${process.pid}/`)
  cpSync(here('../dist/'), dist, { recursive: true })
  running.dist = dist
  const outcomes = []
  try {
    const contended = CONTENTION_SCENARIOS.filter((s) => options.scenarios.length === 0 || options.scenarios.includes(s))
    const finished = (outcome) => {
      log(`${outcome.cell}: finished in ${outcome.seconds.toFixed(1)} s${outcome.problems.length ? ` — ${outcome.problems.join('; ')}` : ''}`)
      outcomes.push(outcome)
    }
    // --busy with --scenarios naming only contention scenarios: the contention runs are the run.
    const contentionOnly = options.busy.length > 0 && options.scenarios.length > 0 && options.scenarios.every((s) => CONTENTION_SCENARIOS.includes(s))
    for (const cell of selected) {
      if (!contentionOnly) {
        log(`${cell.runtime}/${cell.backend}: starting`)
        finished(await runCell(cell, options.quick, dist, options.scenarios))
      }
      // A cell's K = 0, 1, 2 runs follow each other at once, with the same sizes, so they
      // compare the same minute's machine.
      for (const busy of contended.length ? options.busy : []) {
        log(`${cell.runtime}/${cell.backend}: starting with ${busy} busy process${busy === 1 ? '' : 'es'}`)
        if (busy > 0) {
          running.stopBusy = startBusy(busy, (options.quick ? CELL_TIMEOUT_MS.quick : CELL_TIMEOUT_MS.full) + 5_000)
          await new Promise((resolve) => setTimeout(resolve, 300)) // let them start burning first
        }
        try {
          finished(await runCell(cell, options.quick, dist, contended, busy))
        } finally {
          running.stopBusy?.()
          running.stopBusy = undefined
        }
      }
    }
  } finally {
    rmSync(dist, { recursive: true, force: true })
  }

  const seconds = (performance.now() - started) / 1000
  const results = outcomes.flatMap((o) => o.records.filter((r) => r.type === 'result'))
  const report = {
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    seconds: Number(seconds.toFixed(1)),
    build: buildInfo,
    machine: { ...info, loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))) },
    runtimes: runtimeVersions(outcomes),
    contention: options.busy.length
      ? {
          busyProcesses: options.busy,
          scenarios: CONTENTION_SCENARIOS,
          how: 'K plain CPU-burning node processes (scripts/busy.mjs) beside the cell, started before and killed after it; rows with busy: K (null: the main run)',
        }
      : null,
    cells: outcomes.map(summarizeCell),
    results,
  }

  const main = results.filter((r) => r.busy === null)
  if (main.length) console.log(formatTable(main))
  printNotes(main)
  const contention = results.filter((r) => r.busy !== null)
  if (contention.length) console.log(`\n${formatContention(contention)}`)
  printProblems(outcomes)
  log(`total: ${seconds.toFixed(1)} s`)
  const out = outputPaths(options.out, options)
  writeFileSync(out.json, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(out.svg, renderChart(main, report))
  log(`wrote ${out.json} and ${out.svg}`)
  if (outcomes.some((o) => o.problems.length || o.records.some((r) => r.type === 'error'))) process.exitCode = 1
}

/**
 * Where the report goes: `out` (.json) and its .svg; else bench/results.json and
 * bench/chart.svg for a full run of everything, and a file in the OS temp folder for a
 * quick or partial run (it must not replace the full results).
 */
function outputPaths(out, options) {
  const partial = options.quick || options.only.length > 0 || options.scenarios.length > 0
  if (!out && !partial) return { json: here('./results.json'), svg: here('./chart.svg') }
  out ??= path.join(os.tmpdir(), `anythread-bench-${options.quick ? 'quick' : 'partial'}.json`)
  const json = path.resolve(out.endsWith('.json') ? out : `${out}.json`)
  return { json, svg: json.replace(/\.json$/, '.svg') }
}

function runtimeVersions(outcomes) {
  const versions = {}
  for (const o of outcomes) {
    const meta = o.records.find((r) => r.type === 'meta')
    if (meta) versions[meta.runtime] = meta.runtimeVersion
  }
  return versions
}

function summarizeCell(o) {
  const meta = o.records.find((r) => r.type === 'meta')
  return {
    cell: o.cell,
    seconds: Number(o.seconds.toFixed(1)),
    exitCode: o.exitCode,
    signal: o.signal,
    secondsToExitAfterDone: o.exitSeconds === undefined ? null : Number(o.exitSeconds.toFixed(2)),
    gcForced: meta?.gc ?? null,
    problems: o.problems,
    errors: o.records.filter((r) => r.type === 'error' || r.type === 'peer-error'),
    strayStdout: o.strayStdout,
    stderr: o.stderr,
  }
}

/** Notes that apply to whole scenarios rather than one row (the pools' thread count). */
function printNotes(results) {
  const notes = new Map()
  for (const r of results) if (r.details?.note && !notes.has(r.scenario)) notes.set(r.scenario, r.details.note)
  const pool = [...notes].filter(([scenario]) => scenario.startsWith('P'))
  if (pool.length) console.log(`\nP1/P2: ${[...new Set(pool.map(([, note]) => note))].join('; ')}.`)
}

function printProblems(outcomes) {
  for (const o of outcomes) {
    const lines = []
    for (const p of o.problems) lines.push(`problem: ${p}`)
    for (const r of o.records) {
      if (r.type === 'error') lines.push(`${r.scenario} failed: ${r.error}`)
      if (r.type === 'peer-error') lines.push(`peer ${r.peer} n/a: ${r.error}`)
    }
    if (o.strayStdout.length) lines.push(`stray stdout (${o.strayStdout.length} lines): ${o.strayStdout.slice(0, 5).join(' | ')}`)
    if (o.stderr.trim()) lines.push(`stderr: ${o.stderr.trim().split('\n').slice(0, 10).join('\n        ')}`)
    if (lines.length) console.log(`\n${o.cell}:\n  ${lines.join('\n  ')}`)
  }
}

await main()
