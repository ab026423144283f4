// Small statistics helpers: nearest-rank quantiles over plain arrays.

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]
}

export const median = (values) => quantile(values, 0.5)
