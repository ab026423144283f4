// The plain-text tables run.mjs prints: one row per result, and one contention table per
// number of busy processes.

const COLUMNS = ['runtime', 'backend', 'scenario', 'ours', 'p50 / p99', 'peer', 'p50 / p99', 'ratio', 'target', 'met?']

/** 3 significant digits, enough for numbers this noisy. */
export function num(value) {
  if (value === null || value === undefined) return '—'
  const abs = Math.abs(value)
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(2)
  return value.toFixed(3)
}

/** ratio > 1 means ours is better; shown as "38.1x better" or "2.10x worse". */
export function ratioText(ratio) {
  if (ratio === null || ratio === undefined) return '—'
  return ratio >= 1 ? `${num(ratio)}x better` : `${num(1 / ratio)}x worse`
}

function peerText(r) {
  if (!r.peer) return '—'
  if (r.peer.error) return `${r.peer.name} n/a`
  return `${r.peer.name} ${num(r.peer.value)} ${r.unit}`
}

/** "p50 / p99" of single calls, where the row has them (stats from the scenario). */
function tail(s) {
  if (!s || s.p50 === null || s.p50 === undefined) return ''
  return `${num(s.p50)} / ${num(s.p99)}`
}

function row(r) {
  return [
    r.runtime,
    r.backend,
    `${r.scenario} ${r.metric}`,
    `${num(r.ours)} ${r.unit}`,
    tail(r.stats?.ours),
    peerText(r),
    tail(r.stats?.peer),
    ratioText(r.ratio),
    r.target ?? '—',
    r.met === true ? 'yes' : r.met === false ? 'NO' : r.target ? 'n/a' : '',
  ]
}

export function formatTable(results) {
  const sorted = [...results].sort((a, b) => a.scenario.localeCompare(b.scenario))
  const rows = [COLUMNS, ...sorted.map(row)]
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  const body = []
  let last
  for (const r of rows.slice(1)) {
    const group = r[2].split(' ')[0]
    if (last !== undefined && group !== last) body.push('')
    body.push(line(r))
    last = group
  }
  return [line(rows[0]), rule, ...body].join('\n')
}

/**
 * The contention tables: for each number of busy processes, one line per cell with B1's
 * mean next to synckit's and P1's throughput next to piscina's and tinypool's, ratios on
 * the mean (> 1: ours is better). `results` are the contention runs' rows, each with `busy`.
 */
export function formatContention(results) {
  const levels = [...new Set(results.map((r) => r.busy))].sort((a, b) => a - b)
  const head = ['cell', 'B1 ours µs', 'synckit µs', 'vs synckit', 'B1 ours p99', 'P1 ours ops/s', 'piscina', 'vs piscina', 'tinypool', 'vs tinypool']
  const tables = []
  for (const busy of levels) {
    const at = results.filter((r) => r.busy === busy)
    const cells = [...new Set(at.map((r) => `${r.runtime}/${r.backend}`))]
    const rows = [head]
    for (const cell of cells) {
      const of = (scenario, match) => at.find((r) => `${r.runtime}/${r.backend}` === cell && r.scenario === scenario && r.metric.includes(match))
      const b1 = of('B1', 'vs synckit')
      const pis = of('P1', 'vs piscina')
      const tiny = of('P1', 'vs tinypool')
      if (!b1 && !pis) continue
      const peer = (r) => (!r?.peer ? '—' : r.peer.error ? 'n/a' : num(r.peer.value))
      rows.push([
        cell,
        num(b1?.ours),
        peer(b1),
        ratioText(b1?.ratio),
        num(b1?.stats?.ours?.p99),
        num(pis?.ours ?? tiny?.ours),
        peer(pis),
        ratioText(pis?.ratio),
        peer(tiny),
        ratioText(tiny?.ratio),
      ])
    }
    if (rows.length === 1) continue
    const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    const line = (cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()
    tables.push(
      [
        `K = ${busy} busy process${busy === 1 ? '' : 'es'} (B1 runSync mean, P1 run() throughput mean, 64 in flight):`,
        line(rows[0]),
        widths.map((w) => '-'.repeat(w)).join('  '),
        ...rows.slice(1).map(line),
      ].join('\n'),
    )
  }
  return tables.join('\n\n')
}
