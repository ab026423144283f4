// What the scenarios need to know about the runtime they run on: its name and version,
// how to force a GC, and how to read CPU time and memory. Everything here goes through
// node:* modules, which Deno and Bun implement too, so one code path serves every cell.
import { readFileSync, readdirSync } from 'node:fs'

export const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node'

export const runtimeVersion = runtime === 'deno' ? Deno.version.deno : runtime === 'bun' ? Bun.version : process.versions.node

/** High-resolution clock in milliseconds (µs resolution or better on all three, checked). */
export const now = () => performance.now()

/**
 * Forces a full GC if the runtime lets us: node and deno need --expose-gc (the parent
 * passes it: `--expose-gc` / `--v8-flags=--expose-gc`), Bun has Bun.gc(true).
 * Returns whether a GC really ran, so results can say so.
 */
export function forceGc() {
  if (runtime === 'bun') {
    Bun.gc(true)
    return true
  }
  if (typeof globalThis.gc === 'function') {
    globalThis.gc()
    return true
  }
  return false
}

export const rss = () => process.memoryUsage().rss

/**
 * CPU time of one thread in ns, from /proc/self/task/<tid>/schedstat (first field: time
 * spent on a CPU). Per-thread and in ns, unlike process.cpuUsage(), which sums all
 * threads, or /proc/<pid>/stat, which counts 10 ms ticks.
 */
export function threadCpuNs(tid) {
  return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])
}

/** The main thread is the thread group leader: its tid is the pid. */
export const mainThreadCpuNs = () => threadCpuNs(process.pid)

/**
 * CPU time of the whole process in ns: the sum over its live threads (the worker, the
 * runtime's GC/JIT/IO threads). A thread that ends between two reads drops out of the
 * sum, so this is for context only.
 */
export function processCpuNs() {
  let total = 0
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      total += threadCpuNs(tid)
    } catch {
      // the thread ended while we listed them
    }
  }
  return total
}

/**
 * Checks that the main-thread reading really follows the thread running JavaScript:
 * burn CPU here until the counter has moved by 30 ms, which a counter of another (idle)
 * thread would not do within 3 s. Counted in CPU time, not wall time: on a busy machine
 * this thread gets only part of each wall-clock millisecond.
 */
export function checkMainThreadCpu() {
  const before = mainThreadCpuNs()
  const start = now()
  let burnedMs = 0
  while (burnedMs < 30 && now() - start < 3_000) {
    const end = now() + 1
    while (now() < end);
    burnedMs = (mainThreadCpuNs() - before) / 1e6
  }
  const wallMs = now() - start
  return { ok: burnedMs >= 30 && burnedMs <= wallMs + 5, burnedMs: round(burnedMs, 2), wallMs: round(wallMs, 2) }
}

export const round = (value, digits = 3) => Number(value.toFixed(digits))
