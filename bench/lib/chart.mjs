// bench/chart.svg, written by hand (no chart library): B1 median latency per cell, ours
// next to synckit and the raw spin floor, on a log scale (the three differ by orders of
// magnitude), with the 3 µs target as a dashed line.
import { num } from './table.mjs'

const SERIES = [
  { key: 'ours', label: 'anythread', color: '#2563eb' },
  { key: 'synckit', label: 'synckit', color: '#f59e0b' },
  { key: 'floor', label: 'raw spin floor', color: '#6b7280' },
]
const BAR = 30
const GAP = 50
const TOP = 60
const PLOT_HEIGHT = 300
const LEFT = 70

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The B1 medians of one cell, from the "latency median" rows' details; null when n/a. */
function cellValues(results) {
  const groups = new Map()
  for (const r of results) {
    if (r.scenario !== 'B1' || r.metric !== 'latency median') continue
    const d = r.details
    groups.set(`${r.runtime}/${r.backend}`, {
      ours: d.ours?.median ?? null,
      synckit: d.synckit?.median ?? null,
      floor: d.floor?.median ?? null,
    })
  }
  return groups
}

export function renderChart(results, report) {
  const groups = cellValues(results)
  const values = [...groups.values()].flatMap((g) => SERIES.map((s) => g[s.key])).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.1, ...values)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)))
  const y = (v) => TOP + PLOT_HEIGHT - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT_HEIGHT
  const groupWidth = SERIES.length * BAR + GAP
  const width = LEFT + Math.max(1, groups.size) * groupWidth + 20
  const height = TOP + PLOT_HEIGHT + 90
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="100%" height="100%" fill="white"/>`)
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">B1: runSync latency, median per call (µs, log scale, lower is better)</text>`)
  out.push(`<text x="${LEFT}" y="40" fill="#555">${escape(`${report.mode} run, ${report.date.slice(0, 10)}, ${report.machine.cores} x ${report.machine.cpu}`)}</text>`)
  // Decade grid lines and labels.
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`)
    out.push(`<text x="${LEFT - 8}" y="${y(v) + 4}" text-anchor="end" fill="#555">${num(v)}</text>`)
  }
  const target = y(3)
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${target}" y2="${target}" stroke="#dc2626" stroke-dasharray="5 4"/>`)
  out.push(`<text x="${width - 22}" y="${target - 4}" text-anchor="end" fill="#dc2626">target 3 µs</text>`)
  let x = LEFT + GAP / 2
  for (const [cell, g] of groups) {
    SERIES.forEach((s, i) => {
      const v = g[s.key]
      const bx = x + i * BAR
      if (v > 0) {
        out.push(`<rect x="${bx + 2}" y="${y(v)}" width="${BAR - 4}" height="${TOP + PLOT_HEIGHT - y(v)}" fill="${s.color}"><title>${escape(`${cell} ${s.label}: ${num(v)} µs`)}</title></rect>`)
        out.push(`<text x="${bx + BAR / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${num(v)}</text>`)
      } else {
        out.push(`<text x="${bx + BAR / 2}" y="${TOP + PLOT_HEIGHT - 4}" text-anchor="middle" font-size="10" fill="#555">n/a</text>`)
      }
    })
    out.push(`<text x="${x + (SERIES.length * BAR) / 2}" y="${TOP + PLOT_HEIGHT + 18}" text-anchor="middle">${escape(cell)}</text>`)
    x += groupWidth
  }
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}" stroke="#111"/>`)
  SERIES.forEach((s, i) => {
    const lx = LEFT + i * 150
    out.push(`<rect x="${lx}" y="${height - 38}" width="12" height="12" fill="${s.color}"/>`)
    out.push(`<text x="${lx + 18}" y="${height - 28}">${s.label}</text>`)
  })
  out.push(`<text x="${LEFT}" y="${height - 8}" fill="#555" font-size="10">runtime/backend; bars are medians of 100-call batch means, see bench/results.json</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
