// How the per-call scenarios (B1, C2, P2) time a subject. Two passes over the same
// subject, one after the other in each round:
//
// - the mean pass: calls in batches of 100, one clock read per batch. Its total time /
//   calls is the mean (what a user's build or lint run pays per call); its batch means
//   also give the median of 100-call batch means, the figure older runs reported.
// - the single-call pass: one clock read between consecutive calls, so each call is
//   timed alone; gives p50 and p99 of single calls. Each interval also holds one clock
//   read and the loop's own work; that overhead (`clockOverhead()`, the median interval
//   of the same loop around a no-op) is subtracted from every sample and reported.
//
// The mean is never taken from the single-call pass: its clock reads would be counted in it.
import { now, round } from './runtime.mjs'
import { quantile } from './stats.mjs'

/**
 * µs per call of each batch of `batch` calls; `fn(i)` must return i + 1 (checked, for
 * ours and the peers alike, so every subject does the same work).
 */
export function timeBatches(fn, calls, batch = 100) {
  const perCall = []
  for (let done = 0; done < calls; done += batch) {
    const start = now()
    for (let i = done; i < done + batch; i++) {
      if (fn(i) !== i + 1) throw new Error(`call ${i} returned a wrong result`)
    }
    perCall.push(((now() - start) * 1000) / batch)
  }
  return perCall
}

/** The async twin of timeBatches, for `run()` tasks awaited one at a time. */
export async function timeBatchesAsync(run, tasks, batch = 100) {
  const perTask = []
  for (let done = 0; done < tasks; done += batch) {
    const start = now()
    for (let i = done; i < done + batch; i++) {
      if ((await run(i)) !== i + 1) throw new Error(`task ${i} returned a wrong result`)
    }
    perTask.push(((now() - start) * 1000) / batch)
  }
  return perTask
}

/** Raw µs between consecutive clock reads around `calls` calls of `fn` (overhead not removed). */
function rawSingles(fn, calls, offset) {
  const samples = new Float64Array(calls)
  let last = now()
  for (let i = 0; i < calls; i++) {
    if (fn(offset + i) !== offset + i + 1) throw new Error(`call ${offset + i} returned a wrong result`)
    const t = now()
    samples[i] = (t - last) * 1000
    last = t
  }
  return samples
}

let overhead

/**
 * µs the single-call loop costs around a call that does nothing: one clock read, the
 * result check and the store. Median of 20,000 intervals, measured once per process
 * (after 20,000 warm-up iterations so the loop runs optimized).
 */
export function clockOverhead() {
  if (overhead === undefined) {
    const noop = (i) => i + 1
    rawSingles(noop, 20_000, 0)
    overhead = quantile(rawSingles(noop, 20_000, 0), 0.5)
  }
  return overhead
}

/** µs of each of `calls` single calls of `fn(i)`, loop overhead subtracted (never below 0). */
export function timeSingles(fn, calls, offset = 0) {
  const cost = clockOverhead()
  return Array.from(rawSingles(fn, calls, offset), (v) => Math.max(0, v - cost))
}

/** The async twin of timeSingles: µs of each `await run(i)`, overhead subtracted. */
export async function timeSinglesAsync(run, tasks, offset = 0) {
  const cost = clockOverhead()
  const samples = []
  let last = now()
  for (let i = offset; i < offset + tasks; i++) {
    if ((await run(i)) !== i + 1) throw new Error(`task ${i} returned a wrong result`)
    const t = now()
    samples.push(Math.max(0, (t - last) * 1000 - cost))
    last = t
  }
  return samples
}

const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length

/**
 * The figures every per-call row carries: `mean` (total time / calls of the mean pass;
 * its batches are equal, so the mean of batch means), `p50`/`p99` of single calls, and
 * `batchMedian` (median of 100-call batch means, as older runs reported it). p999 and
 * max are there for a mean above p99: then under 1% of the calls carry most of the time.
 */
export function summarize(batchMeans, singles, batch = 100) {
  const q = (p) => (singles.length ? round(quantile(singles, p), 4) : null)
  return {
    mean: round(mean(batchMeans), 4),
    p50: q(0.5),
    p99: q(0.99),
    p999: q(0.999),
    max: singles.length
      ? round(
          singles.reduce((a, b) => (b > a ? b : a), 0),
          4,
        )
      : null,
    batchMedian: round(quantile(batchMeans, 0.5), 4),
    calls: batchMeans.length * batch,
    singleCalls: singles.length,
  }
}
