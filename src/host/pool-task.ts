/**
 * What the pool is made of: its options, a task from `run()` to its settlement, a pool
 * thread. The pool itself (`pool.ts`) moves tasks between them.
 */
import { now } from '../shared/wait-policy.ts'
import type { CancelWatch } from './lifetime.ts'
import type { WorkerSlot } from './worker-slot.ts'
import type { CallRequest, SlotOptions } from './worker-slot.ts'

/** The pool's options; see `BridgeOptions.pool` for the defaults. */
export interface PoolOptions {
  /** Threads kept even when idle. Default: 0 (threads start on demand). */
  readonly minThreads?: number
  /**
   * Most threads running tasks of the default limiter (`defaultThreadLimiter()`) at once.
   * A task under any other `CapacityLimiter` (the bridge's `limiter` option, or
   * `with({ limiter })`) is bounded by that limiter alone, as in anyio: the pool starts a
   * thread for it when none is idle, beyond `maxThreads` if need be. Default: the
   * machine's available parallelism.
   */
  readonly maxThreads?: number
  /** Stop a thread above `minThreads` after it idled this long, in ms. Default: 10000 (250 on Deno). */
  readonly idleTimeout?: number
  /**
   * Most tasks waiting (for a limiter token, then a thread); one more rejects with
   * `QueueFullError`. `'auto'`: `maxThreads` squared (as piscina). Default: Infinity.
   */
  readonly maxQueue?: number | 'auto'
  /**
   * Replace a thread after it ran this many tasks (between tasks: the last one finishes
   * first). Module state starts afresh on the new thread. Default: Infinity.
   */
  readonly maxTasksPerWorker?: number
  /**
   * Replace a thread, between tasks, when its JavaScript heap in use exceeds this many MiB
   * after a task (tinypool's `maxMemoryLimitBeforeRecycle`: the answer to task code that
   * leaks). The worker measures its own heap as it answers: V8's `used_heap_size` on
   * Node and through `node:worker_threads` on Deno and Bun, `Deno.memoryUsage().heapUsed`
   * in Deno web Workers, `process.memoryUsage().heapUsed` in Bun web Workers (all per
   * thread). Default: Infinity (nothing measured).
   */
  readonly maxWorkerMemoryMB?: number
  /**
   * How long a cancelled task may keep running (it should notice `currentSignal()` or
   * `checkCancelled()`) before its thread is terminated and replaced, in ms. Default: 1000.
   */
  readonly cancelGrace?: number
}

/** What limits how many tasks run at once: a `CapacityLimiter`. */
export interface TokenSource {
  acquireOnBehalfOf(borrower: unknown, options?: { signal?: AbortSignal }): Promise<void>
  acquireOnBehalfOfNowait(borrower: unknown): void
  releaseOnBehalfOf(borrower: unknown): void
  readonly availableTokens: number
}

/**
 * What a `run()` task appears as among a limiter's borrowers (`limiter.statistics()`):
 * plain data, so that `JSON.stringify` shows it.
 */
export interface TaskBorrower {
  readonly kind: 'run'
  /** The task's number in its pool, as in the `anythread:task:*` events. */
  readonly task: number
  /** The export it runs. */
  readonly name: string
  /** The module's URL. */
  readonly module: string
}

/** One `run()` call, as the bridge hands it over. */
export interface PoolCall extends CallRequest {
  readonly timeout: number
  readonly signal: AbortSignal | undefined
  readonly abandonOnCancel: boolean
  readonly limiter: TokenSource | undefined
  /**
   * Whether `maxThreads` bounds this task (it runs under the default limiter). When false,
   * its limiter alone bounds it, and the pool grows to what that limiter grants.
   */
  readonly cappedByMaxThreads: boolean
}

export interface ResolvedPoolOptions extends SlotOptions {
  readonly minThreads: number
  readonly maxThreads: number
  readonly idleTimeout: number
  readonly maxQueue: number
  readonly maxTasksPerWorker: number
  readonly maxWorkerMemoryMB: number
  readonly cancelGrace: number
  readonly startupTimeout: number
}

/** A task from `run()` to its settlement. */
export class Task {
  worker: PoolWorker | undefined
  seq = 0
  /** What holds its limiter token, while it does. */
  borrower: TaskBorrower | undefined
  readonly queuedAt = now()
  /** When it was posted to its thread (0 before). */
  startedAt = 0
  /** Its signal and deadline; the deadline does not count a thread's start-up. */
  watch: CancelWatch | undefined
  /** How its promise settled (for the `anythread:task:finished` event); undefined until it has. */
  outcome: { readonly ok: boolean; readonly value: unknown } | undefined
  /** The caller gave up (signal or deadline); the first reason wins. */
  cancelled = false
  /** Counted out of the pool's in-flight tasks (its thread is done with it). */
  done = false

  constructor(
    readonly id: number,
    readonly call: PoolCall,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Stops listening for the signal and the deadline. */
  stopWatching(): void {
    this.watch?.stop()
    this.watch = undefined
  }

  /** Whether its promise has settled. */
  get settled(): boolean {
    return this.outcome !== undefined
  }

  settle(ok: boolean, value: unknown): void {
    if (this.settled) return
    this.outcome = { ok, value }
    this.stopWatching()
    if (ok) this.resolve(value)
    else this.reject(value)
  }

  /** Gives back the limiter token; once, when the thread is really done with the task. */
  releaseToken(): void {
    const borrower = this.borrower
    this.borrower = undefined
    if (borrower !== undefined) this.call.limiter?.releaseOnBehalfOf(borrower)
  }
}

/** A pool thread. `task` is set while it runs one (or drains a cancelled one). */
export class PoolWorker {
  task: Task | undefined
  /** Tasks posted to it, for `maxTasksPerWorker`. */
  tasksRun = 0
  idleSince = now()
  constructor(readonly slot: WorkerSlot) {}
}
