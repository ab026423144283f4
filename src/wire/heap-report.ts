/**
 * One shared word where a pool worker reports its JavaScript heap in use (KiB) before
 * each answer, for the pool's `maxWorkerMemoryMB`. The answer's publication orders it:
 * a host that has seen the answer reads the figure stored before it.
 */

// Captured when this module loads, before any worker module runs on the thread (as in
// channel.ts): a module that replaces `Atomics` methods cannot break the answers.
const { load, store } = Atomics

/** -1: nothing reported yet, or the runtime cannot tell. */
const UNKNOWN = -1

export function createHeapReportBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(4)
  new Int32Array(buffer)[0] = UNKNOWN
  return buffer
}

export class HeapReport {
  private readonly word: Int32Array

  constructor(buffer: SharedArrayBuffer) {
    this.word = new Int32Array(buffer)
  }

  /** Worker side: stores `bytes` (undefined: unknown). */
  store(bytes: number | undefined): void {
    store(this.word, 0, bytes === undefined ? UNKNOWN : Math.min(0x7fffffff, Math.round(bytes / 1024)))
  }

  /** Host side: the last figure reported, in MiB, or undefined. */
  get mebibytes(): number | undefined {
    const kib = load(this.word, 0)
    return kib < 0 ? undefined : kib / 1024
  }
}
