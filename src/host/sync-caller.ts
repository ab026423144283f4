/**
 * The bridge's `runSync`: a blocking thread (`blocking-thread.ts`) that is replaced when a
 * call it timed out on does not let go of it within `settleGrace` (a portal keeps its
 * thread instead, for its module state), and stopped once idle for `idleTimeout`.
 */
import { now } from '../shared/wait-policy.ts'
import { BlockingThread } from './blocking-thread.ts'
import type { BlockingThreadOptions, SyncCall } from './blocking-thread.ts'
import { schedule } from './wait.ts'

export interface SyncCallerOptions extends BlockingThreadOptions {
  /** Stop a worker idle this long (ms); Infinity keeps it. */
  readonly idleTimeout: number
}

export class SyncCaller {
  private readonly thread: BlockingThread
  private closed = false
  private lastUsed = 0
  private idleTimer: unknown

  constructor(private readonly options: SyncCallerOptions) {
    this.thread = new BlockingThread(options, 'this bridge')
  }

  /** Number of live workers (0 or 1). */
  get threads(): number {
    return this.thread.threads
  }

  call(call: SyncCall): unknown {
    const thread = this.thread
    // Calls run one at a time here, so a call still unsettled on the worker is one that timed
    // out. Usually it awaits, and the worker's event loop is free to take this call at once;
    // if the worker does not take it within `settleGrace`, that call holds the thread (sync
    // code), and a fresh worker takes over.
    const worker = thread.worker
    const timedOutCallRuns = worker !== undefined && !worker.dead && worker.channel.busy > 0
    try {
      return thread.call(call, timedOutCallRuns ? this.options.settleGrace : undefined)
    } finally {
      this.lastUsed = now()
      if (Number.isFinite(this.options.idleTimeout)) this.armIdleTimer()
    }
  }

  close(): void {
    this.closed = true
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer as ReturnType<typeof setTimeout>)
    this.idleTimer = undefined
    this.thread.close()
  }

  /** Stops an idle worker of a backend that cannot unref it, so the program can exit. */
  private armIdleTimer(): void {
    if (this.idleTimer !== undefined) return
    const check = (): void => {
      this.idleTimer = undefined
      if (this.closed || this.thread.worker === undefined) return
      const idle = now() - this.lastUsed
      if (idle >= this.options.idleTimeout) this.thread.retire('idle')
      else this.idleTimer = schedule(this.options.backend, check, this.options.idleTimeout - idle)
    }
    this.idleTimer = schedule(this.options.backend, check, this.options.idleTimeout)
  }
}
