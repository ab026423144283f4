/**
 * `createBridge()`: the host's entry point. A bridge owns one worker thread that serves
 * `runSync` calls (started on the first call, reused after) and the modules loaded on it.
 */
import type { Backend } from '../shared/backend.ts'
import { DEFAULT_MAX_INLINE_BYTES } from '../wire/protocol.ts'
import { setProxyProbe } from '../wire/codec/index.ts'
import { BridgeClosedError } from '../shared/errors.ts'
import { defaultThreadLimiter } from './limiter.ts'
import type { CapacityLimiter, CapacityLimiterStatistics } from './limiter.ts'
import { Pool } from './pool.ts'
import { Durations } from './stats.ts'
import { Events } from '../shared/events.ts'
import type { DurationSummary } from './stats.ts'
import type { HostFunctions } from './reverse-server.ts'
import type { PoolOptions } from './pool-task.ts'
import { Handle } from './handle.ts'
import type { AsyncCall, CallTarget } from './handle.ts'
import { Portal } from './portal.ts'
import type { BlockingPortal, PortalOptions } from './portal.ts'
import type { BlockingThreadOptions, SyncCall } from './blocking-thread.ts'
import { SyncCaller } from './sync-caller.ts'
import type { AnyModule, Closeable, ModuleHandle } from '../shared/types.ts'
import { checkCount, checkTimeout } from './validate.ts'
import { resolveWaitPolicy } from '../shared/wait-policy.ts'
import type { WaitPolicy } from '../shared/wait-policy.ts'
import { asyncDisposeSymbol, disposeSymbol } from './lifetime.ts'
import { ModuleIds, toModuleUrl } from './modules.ts'

/** Options of {@link createBridge}. */
export interface BridgeOptions {
  /** The runtime backend: `nodeBackend()`, `denoBackend()` or `bunBackend()`. Required. */
  readonly backend: Backend
  /** Default deadline of every call in milliseconds. Default: none (`Infinity`). */
  readonly timeout?: number
  /** Spin and park knobs of the blocking wait; see {@link WaitPolicy}. */
  readonly wait?: Partial<WaitPolicy>
  /**
   * Largest payload (arguments or result, encoded) carried in shared memory; larger ones
   * go through the worker's message port. Default: 16 MiB.
   */
  readonly maxInlineBytes?: number
  /**
   * Stop the worker after it has been idle this long, in milliseconds; the next call
   * starts a new one (module state is lost). Default: `Infinity`, except on backends that
   * cannot unref an idle worker (Deno web Workers), where it is 250 so that a program that
   * never calls `close()` still exits.
   */
  readonly idleTimeout?: number
  /**
   * After a call timed out (it sees the cancellation through `currentSignal()` /
   * `checkCancelled()`), how long the next call waits for the worker to take it before the
   * worker is replaced by a fresh one (module state is lost). A timed-out call that awaits
   * leaves the worker free, so the next call is taken at once; only synchronous code that
   * ignores the cancellation holds the worker this long. Default: 100 ms.
   */
  readonly settleGrace?: number
  /**
   * Host functions a worker may call by name with `fromThread.run(name, ...args)` or
   * `fromThread.runSync(name, ...args)` from `anythread/worker`. While this thread is
   * blocked in `runSync`, only functions that answer synchronously can be served: one
   * that returns a Promise then fails in the worker with `DeadlockError`.
   */
  readonly expose?: Readonly<Record<string, (...args: never[]) => unknown>>
  /** The thread pool behind `run()`; see {@link PoolOptions} for each default. */
  readonly pool?: PoolOptions
  /**
   * The limiter `run()` tasks take a token from. Default: `defaultThreadLimiter()` (40
   * tokens, `pool.maxThreads` of them running at once). Any other limiter bounds `run()`
   * by itself: the pool grows to what it grants, beyond `pool.maxThreads`.
   */
  readonly limiter?: CapacityLimiter
  /**
   * A value each worker thread of this bridge (the `runSync` worker, the pool's, the
   * portals') receives a structured clone of, which its modules read as
   * `import { workerData } from 'anythread/worker'`. Checked when the bridge is created: a
   * value that cannot be cloned throws a `DataCloneError` there. Default: `undefined`.
   */
  readonly workerData?: unknown
  /** How long a new worker may take to start before the call fails. Default: 30000 ms. */
  readonly startupTimeout?: number
  /**
   * URL schemes a worker module may be loaded from. Default: `['file:', 'data:']`.
   * Anything else is refused, so a string from outside cannot make the worker fetch code.
   */
  readonly allowedProtocols?: readonly string[]
}

/**
 * A bridge between this thread and a worker thread. Close it (`close()`, `using`, `await
 * using`), or let it be: see {@link BridgeOptions.idleTimeout}.
 */
export interface Bridge extends Closeable {
  /**
   * Loads a worker module (lazily: nothing runs until the first call). Pass the module's
   * type to check calls: `bridge.load<typeof import('../tasks.js')>(new URL('./tasks.js', import.meta.url))`.
   * @param url an absolute URL (`file:` or `data:`), or an absolute file path.
   */
  load<M = AnyModule>(url: string | URL): ModuleHandle<M>
  /**
   * Starts a blocking portal (anyio's `start_blocking_portal`): a thread of its own whose
   * event loop and module state live until `portal.stop()`. On the deno backend a portal
   * keeps the program alive until it is stopped (Deno web Workers cannot be unref'd).
   */
  startBlockingPortal(options?: PortalOptions): BlockingPortal
  /** Stops the worker, the pool and every portal. Later calls throw `BridgeClosedError`. Safe to call twice. */
  close(): void
  /**
   * Backpressure for `run()`, like a stream's `write()` returning false: true while the
   * pool's queue (tasks waiting for a limiter token or a thread) holds `pool.maxQueue`
   * tasks, or `pool.maxThreads` tasks when `maxQueue` is unbounded. Stop submitting and
   * `await bridge.drained()`.
   */
  readonly needsDrain: boolean
  /** Resolves once no `run()` task waits for a token or a thread (at once if none does, and on `close()`). */
  drained(): Promise<void>
  /** A JSON-serializable snapshot: calls, queued and completed tasks, threads by kind, run and wait times, utilization, the limiter; see {@link BridgeStats}. */
  stats(): BridgeStats
}

export interface BridgeStats {
  readonly backend: string
  /** `runSync` and `run` calls made. */
  readonly calls: number
  /** `run()` tasks not settled yet (queued, waiting for a token, or running). */
  readonly inFlight: number
  /** `run()` tasks waiting for a pool thread, or for a limiter token before that. */
  readonly queued: number
  /** Live threads: the sync worker, the pool's, and the portals' (the sum of `threadsByKind`). */
  readonly threads: number
  /** Live threads by what they serve: `runSync` (0 or 1), the `run()` pool, the portals. */
  readonly threadsByKind: { readonly sync: number; readonly pool: number; readonly portals: number }
  /** `run()` tasks answered by their thread, with a value or an error (not those cancelled or crashed). */
  readonly completed: number
  /**
   * Time each answered `run()` task ran on its thread, ms: count, mean and max since the
   * bridge was created, p50 and p99 over the last 1024 tasks.
   */
  readonly runTime: DurationSummary
  /** Time each started `run()` task waited (for a limiter token, then a thread), ms; as `runTime`. */
  readonly waitTime: DurationSummary
  /**
   * Share of the pool's capacity busy with `run()` tasks over the last 10 seconds (or since
   * the pool started, if later), from 0 to 1. The capacity is `maxThreads` threads, or the
   * live pool threads when a limiter grew the pool beyond `maxThreads`.
   */
  readonly utilization: number
  /** Portals started and not stopped. */
  readonly portals: number
  /** Host functions passed as arguments to calls that have not ended (released as each call ends). */
  readonly callbacks: number
  readonly closed: boolean
  /**
   * Threads stopped while running synchronous code the runtime could not interrupt (only on
   * Deno, denoland/deno#35657): each keeps a core until the process ends. Code that calls
   * `checkCancelled()` is never counted here: it stops on its own.
   */
  readonly runawayThreads: number
  /** The statistics of the limiter `run()` uses by default (the bridge's `limiter`), JSON-serializable. */
  readonly limiter: CapacityLimiterStatistics
}

const noDurations = new Durations()

/** Creates a bridge. The backend is chosen explicitly: `createBridge({ backend: nodeBackend() })`. */
export function createBridge(options: BridgeOptions): Bridge {
  return new BridgeImpl(options)
}

class BridgeImpl implements Bridge, CallTarget {
  readonly caller: SyncCaller
  private readonly callerOptions: BlockingThreadOptions
  private readonly portals = new Set<Portal>()
  readonly limiter: CapacityLimiter
  private poolOptions: ConstructorParameters<typeof Pool>[0]
  /** Exposed functions, and the callbacks of the calls in flight. */
  readonly host: HostFunctions
  private poolInstance: Pool | undefined
  readonly defaultTimeout: number
  private readonly backend: Backend
  private readonly protocols: readonly string[]
  private readonly modules = new ModuleIds()
  private closed = false
  private readonly runaways = { count: 0 }
  calls = 0

  constructor(options: BridgeOptions) {
    if (options === null || typeof options !== 'object' || options.backend === undefined || typeof options.backend.spawn !== 'function') {
      throw new TypeError("createBridge: pass { backend }, e.g. createBridge({ backend: nodeBackend() }) with nodeBackend from 'anythread/node'")
    }
    this.backend = options.backend
    setProxyProbe(options.backend.isProxy)
    this.defaultTimeout = checkTimeout(options.timeout, 'timeout')
    this.protocols = options.allowedProtocols ?? ['file:', 'data:']
    const maxInlineBytes = options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES
    if (!Number.isInteger(maxInlineBytes) || maxInlineBytes < 1024) {
      throw new RangeError(`maxInlineBytes must be an integer >= 1024, got ${String(maxInlineBytes)}`)
    }
    const wait = resolveWaitPolicy(options.wait)
    const expose = options.expose ?? {}
    for (const [name, fn] of Object.entries(expose)) {
      if (typeof fn !== 'function') throw new TypeError(`expose.${name} must be a function`)
    }
    this.host = { expose, callbacks: new Map(), lastCallbackId: 0 }
    const events = new Events(options.backend.name, options.backend.channel)
    const { workerData } = options
    if (workerData !== undefined) structuredClone(workerData) // a DataCloneError here, not when a thread starts
    this.callerOptions = {
      host: this.host,
      runaways: this.runaways,
      backend: options.backend,
      wait,
      workerWait: wait,
      maxInlineBytes,
      settleGrace: checkTimeout(options.settleGrace ?? 100, 'settleGrace'),
      startupTimeout: checkTimeout(options.startupTimeout ?? 30_000, 'startupTimeout'),
      ...(workerData !== undefined && { workerData }),
      events,
      kind: 'sync',
    }
    this.caller = new SyncCaller({
      ...this.callerOptions,
      idleTimeout: checkTimeout(options.idleTimeout ?? (options.backend.canUnref ? Infinity : 250), 'idleTimeout'),
    })
    this.limiter = options.limiter ?? defaultThreadLimiter()
    const pool = options.pool ?? {}
    const maxThreads = checkCount(pool.maxThreads ?? Math.max(1, options.backend.availableParallelism?.() ?? 2), 'pool.maxThreads', 1)
    const maxWorkerMemoryMB = pool.maxWorkerMemoryMB ?? Infinity
    if (typeof maxWorkerMemoryMB !== 'number' || !(maxWorkerMemoryMB > 0)) {
      throw new RangeError(`pool.maxWorkerMemoryMB must be a number of MiB > 0 (or Infinity), got ${String(maxWorkerMemoryMB)}`)
    }
    this.poolOptions = {
      host: this.host,
      runaways: this.runaways,
      backend: options.backend,
      maxInlineBytes,
      workerWait: wait,
      minThreads: checkCount(pool.minThreads ?? 0, 'pool.minThreads', 0),
      maxThreads,
      idleTimeout: checkTimeout(pool.idleTimeout ?? (options.backend.canUnref ? 10_000 : 250), 'pool.idleTimeout'),
      maxQueue: pool.maxQueue === 'auto' ? maxThreads * maxThreads : checkCount(pool.maxQueue ?? Infinity, 'pool.maxQueue', 0),
      maxTasksPerWorker: checkCount(pool.maxTasksPerWorker ?? Infinity, 'pool.maxTasksPerWorker', 1),
      maxWorkerMemoryMB,
      measureMemory: Number.isFinite(maxWorkerMemoryMB),
      events,
      kind: 'pool',
      ...(workerData !== undefined && { workerData }),
      cancelGrace: checkTimeout(pool.cancelGrace ?? 1_000, 'pool.cancelGrace'),
      startupTimeout: this.callerOptions.startupTimeout,
    }
    if (this.poolOptions.minThreads > this.poolOptions.maxThreads) {
      throw new RangeError(`pool.minThreads (${this.poolOptions.minThreads}) exceeds pool.maxThreads (${this.poolOptions.maxThreads})`)
    }
  }

  /** The pool starts with the first `run()`. */
  get pool(): Pool {
    return (this.poolInstance ??= new Pool(this.poolOptions))
  }

  load<M = AnyModule>(url: string | URL): ModuleHandle<M> {
    this.assertOpen()
    const href = toModuleUrl(url, this.protocols)
    return new Handle<M>(this, this.modules.idFor(href), href, {})
  }

  startBlockingPortal(options: PortalOptions = {}): BlockingPortal {
    this.assertOpen()
    if (options === null || typeof options !== 'object') throw new TypeError('startBlockingPortal(): pass an options object')
    const portal = new Portal({
      caller: { ...this.callerOptions, kind: 'portal' },
      host: this.host,
      defaultTimeout: options.timeout === undefined ? this.defaultTimeout : checkTimeout(options.timeout, 'timeout'),
      cancelGrace: checkTimeout(options.cancelGrace ?? 1_000, 'cancelGrace'),
      resolveUrl: (url) => toModuleUrl(url, this.protocols),
      countCall: () => this.countCall(),
      onStopped: (stopped) => this.portals.delete(stopped),
    })
    this.portals.add(portal)
    return portal
  }

  // CallTarget: what the bridge's module handles call.

  assertOpen(): void {
    if (this.closed) throw new BridgeClosedError('This bridge is closed; create a new one to make more calls')
  }

  countCall(): void {
    this.calls++
  }

  callSync(call: SyncCall): unknown {
    return this.caller.call(call)
  }

  callAsync(call: AsyncCall): Promise<unknown> {
    const limiter = call.limiter ?? this.limiter
    return this.pool.run({ ...call, limiter, cappedByMaxThreads: limiter === defaultThreadLimiter() })
  }

  get needsDrain(): boolean {
    return this.poolInstance?.needsDrain ?? false
  }

  drained(): Promise<void> {
    return this.poolInstance?.drained() ?? Promise.resolve()
  }

  close(): void {
    this.closed = true
    this.caller.close()
    this.poolInstance?.close()
    const closing = new BridgeClosedError('The bridge was closed before this portal task finished')
    for (const portal of [...this.portals]) portal.shutdown(closing)
  }

  stats(): BridgeStats {
    const pool = this.poolInstance
    const threadsByKind = {
      sync: this.caller.threads,
      pool: pool?.threads ?? 0,
      portals: [...this.portals].reduce((sum, portal) => sum + portal.threads, 0),
    }
    return {
      backend: this.backend.name,
      calls: this.calls,
      inFlight: pool?.inFlight ?? 0,
      queued: pool?.queued ?? 0,
      threads: threadsByKind.sync + threadsByKind.pool + threadsByKind.portals,
      threadsByKind,
      completed: pool?.completed ?? 0,
      runTime: (pool?.runTime ?? noDurations).summary(),
      waitTime: (pool?.waitTime ?? noDurations).summary(),
      utilization: pool?.utilization ?? 0,
      portals: this.portals.size,
      callbacks: this.host.callbacks.size,
      closed: this.closed,
      runawayThreads: this.runaways.count,
      limiter: this.limiter.statistics(),
    }
  }

  [disposeSymbol](): void {
    this.close()
  }

  async [asyncDisposeSymbol](): Promise<void> {
    this.close()
  }
}
