// bench/chart.svg, written by hand (no chart library), one panel per headline figure,
// each per cell on a log scale (subjects differ by orders of magnitude):
//   B1  runSync latency mean, ours next to synckit and the raw spin floor (target 3 µs)
//   P1  run() throughput (mean) with 64 in flight, ours next to piscina and tinypool
//   P2  run() sequential latency mean, ours next to piscina and tinypool
//   C1  worker→host callback round trip mean (by name, by callback argument, host
//       spinning throughout) next to a host→worker runSync on the same bridge
import { num } from './table.mjs'

const COLORS = {
  ours: '#2563eb',
  synckit: '#f59e0b',
  floor: '#6b7280',
  piscina: '#059669',
  tinypool: '#db2777',
  byName: '#2563eb',
  byArgument: '#7c3aed',
  spinning: '#0891b2',
  hostToWorker: '#6b7280',
}
const LABELS = {
  ours: 'anythread',
  synckit: 'synckit',
  floor: 'raw spin floor',
  piscina: 'piscina',
  tinypool: 'tinypool',
  byName: "runSync('echo')",
  byArgument: 'callback argument',
  spinning: 'host spinning',
  hostToWorker: 'host→worker (B1)',
}

/** The value of one subject from a row's details: its mean (total time / calls). */
const meanOf = (entry) => (entry && typeof entry === 'object' && typeof entry.mean === 'number' ? entry.mean : null)

const PANELS = [
  {
    scenario: 'B1',
    metric: (m) => m === 'runSync latency mean',
    title: 'B1: runSync latency, mean per call (µs, log scale, lower is better)',
    unit: 'µs',
    series: ['ours', 'synckit', 'floor'],
    values: (d) => ({ ours: meanOf(d.ours), synckit: meanOf(d.synckit), floor: meanOf(d.floor) }),
    target: { value: 3, label: 'target 3 µs' },
    footnote: 'bars are means: total time / calls',
  },
  {
    scenario: 'P1',
    metric: (m) => m.endsWith('vs piscina'),
    title: 'P1: run() throughput, 64 tasks in flight (ops/s, log scale, higher is better)',
    unit: 'ops/s',
    series: ['ours', 'piscina', 'tinypool'],
    values: (d) => Object.fromEntries(['ours', 'piscina', 'tinypool'].map((k) => [k, d.meanOpsPerSec?.[k] ?? null])),
    footnote: 'bars are all tasks / total time; every pool has the same thread count',
  },
  {
    scenario: 'P2',
    metric: (m) => m.endsWith('vs piscina'),
    title: 'P2: run() latency, one task at a time, mean (µs, log scale, lower is better)',
    unit: 'µs',
    series: ['ours', 'piscina', 'tinypool'],
    values: (d) => ({ ours: meanOf(d.ours), piscina: meanOf(d.piscina), tinypool: meanOf(d.tinypool) }),
    footnote: 'bars are means: total time / tasks; every pool has the same thread count',
  },
  {
    scenario: 'C1',
    metric: (m) => m.startsWith("callback round trip mean, fromThread.runSync('echo')"),
    title: 'C1: worker→host callback during runSync, mean per round trip (µs, log scale, lower is better)',
    unit: 'µs',
    series: ['byName', 'byArgument', 'spinning', 'hostToWorker'],
    values: (d) => ({
      byName: meanOf(d.byName),
      byArgument: meanOf(d.byArgument),
      spinning: meanOf(d.hostSpinningThroughout),
      hostToWorker: meanOf(d.hostToWorker),
    }),
    footnote: 'means: total time / callbacks; default wait policy except "host spinning"',
  },
]

const BAR = 30
const GAP = 50
const LEFT = 70
const PLOT_HEIGHT = 260
const PANEL_HEIGHT = PLOT_HEIGHT + 130

/** Bar labels: thousands as "339k" so they fit above a bar. */
const label = (v) => (v >= 10_000 ? `${Math.round(v / 1000)}k` : num(v))

const escapeXml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Per cell, the panel's values, from the first matching row of each cell. */
function cellValues(panel, results) {
  const groups = new Map()
  for (const r of results) {
    const cell = `${r.runtime}/${r.backend}`
    if (r.scenario !== panel.scenario || !panel.metric(r.metric) || groups.has(cell)) continue
    groups.set(cell, panel.values(r.details ?? {}))
  }
  return groups
}

function renderPanel(panel, groups, top, width, report) {
  const out = []
  const plotTop = top + 60
  const values = [...groups.values()].flatMap((g) => panel.series.map((s) => g[s])).filter((v) => v > 0)
  if (panel.target) values.push(panel.target.value)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  const span = Math.max(1e-9, Math.log10(hi) - Math.log10(lo))
  const y = (v) => plotTop + PLOT_HEIGHT - ((Math.log10(v) - Math.log10(lo)) / span) * PLOT_HEIGHT
  out.push(`<text x="${LEFT}" y="${top + 22}" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`)
  out.push(
    `<text x="${LEFT}" y="${top + 40}" fill="#555">${escapeXml(`${report.mode} run, ${report.date.slice(0, 10)}, ${report.machine.cores} x ${report.machine.cpu}`)}</text>`,
  )
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`)
    out.push(`<text x="${LEFT - 8}" y="${y(v) + 4}" text-anchor="end" fill="#555">${num(v)}</text>`)
  }
  if (panel.target) {
    const ty = y(panel.target.value)
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${ty}" y2="${ty}" stroke="#dc2626" stroke-dasharray="5 4"/>`)
    out.push(`<text x="${width - 22}" y="${ty - 4}" text-anchor="end" fill="#dc2626">${escapeXml(panel.target.label)}</text>`)
  }
  const groupWidth = panel.series.length * BAR + GAP
  let x = LEFT + GAP / 2
  for (const [cell, g] of groups) {
    panel.series.forEach((s, i) => {
      const v = g[s]
      const bx = x + i * BAR
      if (v > 0) {
        out.push(
          `<rect x="${bx + 2}" y="${y(v)}" width="${BAR - 4}" height="${plotTop + PLOT_HEIGHT - y(v)}" fill="${COLORS[s]}"><title>${escapeXml(`${cell} ${LABELS[s]}: ${num(v)} ${panel.unit}`)}</title></rect>`,
        )
        out.push(`<text x="${bx + BAR / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${label(v)}</text>`)
      } else {
        out.push(`<text x="${bx + BAR / 2}" y="${plotTop + PLOT_HEIGHT - 4}" text-anchor="middle" font-size="10" fill="#555">n/a</text>`)
      }
    })
    out.push(`<text x="${x + (panel.series.length * BAR) / 2}" y="${plotTop + PLOT_HEIGHT + 18}" text-anchor="middle">${escapeXml(cell)}</text>`)
    x += groupWidth
  }
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${plotTop + PLOT_HEIGHT}" y2="${plotTop + PLOT_HEIGHT}" stroke="#111"/>`)
  const legendY = plotTop + PLOT_HEIGHT + 34
  panel.series.forEach((s, i) => {
    const lx = LEFT + i * 150
    out.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${COLORS[s]}"/>`)
    out.push(`<text x="${lx + 18}" y="${legendY + 10}">${LABELS[s]}</text>`)
  })
  out.push(`<text x="${LEFT}" y="${legendY + 30}" fill="#555" font-size="10">${escapeXml(`runtime/backend; ${panel.footnote}; see bench/results.json`)}</text>`)
  return out
}

export function renderChart(results, report) {
  const panels = PANELS.map((panel) => ({ panel, groups: cellValues(panel, results) })).filter((p) => p.groups.size > 0)
  const widest = Math.max(1, ...panels.map((p) => p.groups.size * (p.panel.series.length * BAR + GAP)))
  const width = Math.max(LEFT + widest + 20, 640)
  const height = Math.max(1, panels.length) * PANEL_HEIGHT
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="100%" height="100%" fill="white"/>`)
  panels.forEach(({ panel, groups }, i) => {
    out.push(...renderPanel(panel, groups, i * PANEL_HEIGHT, width, report))
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
