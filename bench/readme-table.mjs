// Prints the README's benchmark tables (Markdown) from a results file, so the README quotes
// exactly what one run measured:  node bench/readme-table.mjs [bench/results.json]
import { readFileSync } from 'node:fs'

const file = process.argv[2] ?? new URL('./results.json', import.meta.url)
const run = JSON.parse(readFileSync(file, 'utf8'))
const cells = run.cells.map((c) => c.cell).filter((name) => !name.includes('busy'))

const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2))
const kfmt = (v) => `${(v / 1000).toFixed(1)}k`
const ratio = (r) => (r === null || r === undefined ? '' : r >= 1 ? `${r.toFixed(1)}× better` : `${(1 / r).toFixed(1)}× worse`)
function find(cell, scenario, metric, busy = null) {
  const [runtime, backend] = cell.split('/')
  return run.results.find(
    (r) => r.runtime === runtime && r.backend === backend && r.scenario === scenario && r.metric.startsWith(metric) && (r.busy ?? null) === busy,
  )
}

/** `ours (p50 / p99)` and the peer's mean with the ratio on the mean. */
function latency(scenario, metric, busy = null, peerName) {
  return cells.map((cell) => {
    const r = find(cell, scenario, metric, busy)
    if (r === undefined || r.ours === null) return 'n/a'
    const s = r.stats?.ours
    const own = s ? `${fmt(s.mean)} (${fmt(s.p50)} / ${fmt(s.p99)})` : fmt(r.ours)
    if (!peerName || !r.peer?.value) return own
    return `${own}; ${peerName} ${fmt(r.peer.value)}: ${ratio(r.ratio)}`
  })
}
function throughput(metric, busy = null) {
  return cells.map((cell) => {
    const r = find(cell, 'P1', metric, busy)
    return r === undefined || r.ours === null ? 'n/a' : `${kfmt(r.ours)}/s; ${r.peer.name} ${kfmt(r.peer.value)}: ${ratio(r.ratio)}`
  })
}
function plain(scenario, metric, unit) {
  return cells.map((cell) => {
    const r = find(cell, scenario, metric)
    if (r === undefined || r.ours === null) return 'n/a'
    return r.peer?.value ? `${fmt(r.ours)} ${unit} (${r.peer.name} ${fmt(r.peer.value)})` : `${fmt(r.ours)} ${unit}`
  })
}

const rows = [
  ['B1 `runSync` of `async (x) => x + 1`, µs: mean (p50 / p99); synckit mean', latency('B1', 'runSync latency mean vs synckit', null, 'synckit')],
  ['B2 echo 64 KiB string, ms', latency('B2', 'echo 64 KiB string', null, 'synckit')],
  ['B2 echo 1 MiB `Uint8Array`, ms', latency('B2', 'echo 1 MiB', null, 'synckit')],
  ['B2 echo 1e6 integers, ms; vs `structuredClone` twice', latency('B2', 'echo 1e+6 integers', null, 'clone×2')],
  ['B2 echo 1e5 small objects, ms; vs `structuredClone` twice', latency('B2', 'echo 1e+5 objects', null, 'clone×2')],
  ['B3 cold start to first result', plain('B3', 'cold start', 'ms')],
  ['B4 main-thread CPU while blocked 1 s', plain('B4', 'main-thread CPU', 'ms')],
  ['C1 call back into the host (callback argument), µs', latency('C1', 'callback round trip mean, callback argument')],
  ['C2 portal `runSync`, µs', latency('C2', 'portal runSync', null, 'synckit')],
  ['C2 portal future, `startTaskSoon().result()`, µs', latency('C2', 'portal future')],
  ['P1 `run()` throughput, 64 in flight, 2 threads', throughput('run() throughput (mean), 64 in flight, 2 threads, vs piscina')],
  ['P1 vs tinypool', throughput('run() throughput (mean), 64 in flight, 2 threads, vs tinypool')],
  ['P2 `run()` sequential latency, µs', latency('P2', 'run() latency mean, sequential, 2 threads, vs piscina', null, 'piscina')],
]
const table = (head, body) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r[0]} | ${r[1].join(' | ')} |`)].join('\n')
console.log(
  `Run of ${run.date} (${run.mode}, ${Math.round(run.seconds)} s), ${run.machine.cores} × ${run.machine.cpu}, load average ${run.machine.loadAverageAtStart.join(' ')} at start, ${run.machine.loadAverageAtEnd.join(' ')} at end.\n`,
)
console.log(table(['scenario', ...cells], rows))
if (run.contention) {
  console.log('\nWith K busy processes beside each cell (B1 mean µs, ours vs synckit; P1 ops/s, ours vs piscina):\n')
  const body = []
  for (const k of run.contention.busyProcesses) {
    body.push([`K = ${k}: B1`, latency('B1', 'runSync latency mean vs synckit', k, 'synckit')])
    body.push([`K = ${k}: P1`, throughput('run() throughput (mean), 64 in flight, 2 threads, vs piscina', k)])
  }
  console.log(table(['', ...cells], body))
}
