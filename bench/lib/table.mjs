// The plain-text table run.mjs prints: one row per result.

const COLUMNS = ['runtime', 'backend', 'scenario', 'ours', 'peer', 'ratio', 'target', 'met?']

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

function row(r) {
  return [
    r.runtime,
    r.backend,
    `${r.scenario} ${r.metric}`,
    `${num(r.ours)} ${r.unit}`,
    peerText(r),
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
