/**
 * Blocking portals, after anyio's `BlockingPortal`: a thread with its own event loop that
 * synchronous code drives across many calls. Modules loaded on a portal keep their state
 * (connections, caches) between calls, and tasks started with `startTaskSoon` run there
 * side by side, each with a future the caller can block on, await or cancel.
 *
 * A portal is a sync caller that never idles its thread out or replaces it on a timeout,
 * plus tasks that travel through the worker's port (several may run at once) and answer
 * through it. The host reads those answers without its event loop: the worker counts
 * them in the channel (`Slot.TaskAnswers`) and wakes the host like any other answer.
 */
import { Slot } from './channel.ts'
import { BridgeClosedError, CancelledError, TimeoutError } from './errors.ts'
import { Handle } from './handle.ts'
import type { AsyncCall, CallTarget } from './handle.ts'
import { registerCallbacks } from './reverse.ts'
import type { HostFunctions } from './reverse.ts'
import { SyncCaller } from './sync-caller.ts'
import type { SyncCall, SyncCallerOptions } from './sync-caller.ts'
import type { AnyModule, CallOptions, ExportArgs, ExportName, ExportResult, ModuleHandle } from './types.ts'
import { checkTimeout } from './validate.ts'
import { now, schedule } from './wait.ts'
import { answerValue } from './worker-slot.ts'
import type { CallRequest, WorkerSlot } from './worker-slot.ts'

/** Options of `bridge.startBlockingPortal()`. */
export interface PortalOptions {
  /** Default deadline of the portal's `runSync` and `run` calls, in ms. Default: the bridge's `timeout`. */
  readonly timeout?: number
  /**
   * With `stop({ cancelRemaining: true })`: how long cancelled tasks may take to end (they
   * see `currentSignal()` abort) before the thread is stopped, in ms. Default: 1000.
   */
  readonly cancelGrace?: number
}

/** Options of `portal.stop()`. */
export interface PortalStopOptions {
  /**
   * Cancel the tasks still running (their futures settle with `CancelledError` at once)
   * instead of waiting for them to finish. Default: false.
   */
  readonly cancelRemaining?: boolean
}

/**
 * The result of a task started with `startTaskSoon`, after `concurrent.futures.Future`:
 * block on it with `result()`, or `await` it.
 */
export interface PortalFuture<T = unknown> extends PromiseLike<T> {
  /**
   * Blocks this thread until the task settles; returns its value or throws its error
   * (`CancelledError` if it was cancelled). With a `timeout` (ms), throws `TimeoutError`
   * after it; the task keeps running and the future can be waited on again.
   */
  result(timeout?: number): T
  /** Whether the task has settled (with a value, an error, or by cancellation). */
  done(): boolean
  /** Whether the future was cancelled. */
  cancelled(): boolean
  /**
   * Cancels the task: the future settles at once with `reason` (default: a
   * `CancelledError`) and the task sees its `currentSignal()` abort. Returns false if the
   * future had settled already.
   */
  cancel(reason?: unknown): boolean
}

/** A module loaded on a portal: its calls run on the portal's thread, against one module instance. */
export interface PortalModuleHandle<M = AnyModule> extends ModuleHandle<M> {
  /** Starts export `name` on the portal's thread and returns its future at once. */
  startTaskSoon<K extends ExportName<M>>(name: K, ...args: ExportArgs<M, K>): PortalFuture<ExportResult<M, K>>
  with(options: CallOptions): PortalModuleHandle<M>
}

/**
 * A thread with its own event loop, driven from this thread (anyio's `BlockingPortal`).
 * Stop it when done (`stop()`, or `using portal = bridge.startBlockingPortal()`).
 */
export interface BlockingPortal {
  /** True until `stop()` (or the bridge's `close()`). */
  readonly running: boolean
  /**
   * Loads a worker module on the portal's thread (lazily, on the first call). Its state
   * lives as long as the portal; another portal gets its own instance.
   */
  load<M = AnyModule>(url: string | URL): PortalModuleHandle<M>
  /**
   * Starts export `name` of `module` on the portal's thread and returns its future at
   * once. Tasks run side by side on the portal's event loop.
   */
  startTaskSoon<M, K extends ExportName<M>>(module: PortalModuleHandle<M>, name: K, ...args: ExportArgs<M, K>): PortalFuture<ExportResult<M, K>>
  startTaskSoon(module: string | URL, name: string, ...args: unknown[]): PortalFuture<unknown>
  /**
   * Stops the portal: new calls throw `BridgeClosedError` at once; then this blocks until
   * the remaining tasks finish (or, with `cancelRemaining`, cancels them) and stops the
   * thread. Safe to call twice.
   */
  stop(options?: PortalStopOptions): void
  /** `stop()`. */
  [Symbol.dispose](): void
  /** Awaits the remaining tasks without blocking this thread, then stops. */
  [Symbol.asyncDispose](): Promise<void>
}

/** What a portal takes from its bridge. */
export interface PortalConfig {
  readonly caller: Omit<SyncCallerOptions, 'idleTimeout'>
  readonly host: HostFunctions
  readonly defaultTimeout: number
  readonly cancelGrace: number
  /** Resolves `load()`'s argument to an allowed absolute URL. */
  readonly resolveUrl: (url: string | URL) => string
  readonly countCall: () => void
  readonly onStopped: (portal: Portal) => void
}

/** A task posted to the worker whose answer has not been read yet. */
interface PostedTask {
  readonly future: Future<unknown>
  readonly worker: WorkerSlot
  readonly url: string
  readonly name: string
  readonly release: (() => void) | undefined
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')
const asyncDisposeSymbol: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')
const ignore = (): void => {}

export class Portal implements BlockingPortal, CallTarget {
  private readonly caller: SyncCaller
  private readonly moduleIds = new Map<string, number>()
  private readonly tasks = new Map<number, PostedTask>()
  /** Futures not settled yet: while there are any, the process is kept alive. */
  private unsettled = 0
  private lastTaskId = 0
  private state: 'running' | 'stopping' | 'stopped' = 'running'
  /** The worker whose task answers an event-loop watcher waits for, if any. */
  private watching: WorkerSlot | undefined
  private keepAlive: ReturnType<typeof setInterval> | undefined
  readonly host: HostFunctions
  readonly defaultTimeout: number

  constructor(private readonly config: PortalConfig) {
    this.host = config.host
    this.defaultTimeout = config.defaultTimeout
    this.caller = new SyncCaller({
      ...config.caller,
      idleTimeout: Infinity,
      replaceStuck: false,
      owner: 'this portal',
      onTaskAnswer: (id, kind, values) => this.answered(id, kind, values),
      onWorkerExit: (worker) => this.workerDied(worker),
    })
  }

  get running(): boolean {
    return this.state === 'running'
  }

  /** Live threads: 0 or 1. */
  get threads(): number {
    return this.caller.threads
  }

  load<M = AnyModule>(url: string | URL): PortalModuleHandle<M> {
    this.assertOpen()
    const href = this.config.resolveUrl(url)
    let id = this.moduleIds.get(href)
    if (id === undefined) {
      id = this.moduleIds.size + 1
      this.moduleIds.set(href, id)
    }
    return new PortalHandle<M>(this, id, href, {})
  }

  startTaskSoon(module: PortalModuleHandle<never> | string | URL, name: string, ...args: unknown[]): PortalFuture<never> {
    this.assertOpen()
    let handle: PortalHandle<unknown>
    if (module instanceof PortalHandle) {
      if (module.portal !== this) throw new TypeError('startTaskSoon(): this module was loaded on another portal')
      handle = module
    } else {
      handle = this.load(module as string | URL) as PortalHandle<unknown>
    }
    return handle.startTaskSoon(name as never, ...(args as never[])) as PortalFuture<never>
  }

  stop(options?: PortalStopOptions): void {
    if (this.state !== 'running') return
    const cancelRemaining = options?.cancelRemaining === true
    const worker = this.caller.current
    // Not from inside a call on this portal: its thread would be stopped under that call.
    this.caller.assertCanBlock('portal.stop()')
    this.state = 'stopping' // from here on, new calls are refused
    if (cancelRemaining) {
      for (const task of [...this.tasks.values()]) task.future.cancel(new CancelledError('The task was cancelled: its portal was stopped'))
    }
    if (worker !== undefined && this.tasks.size > 0) {
      const deadline = cancelRemaining ? now() + this.config.cancelGrace : Infinity
      const outcome = this.caller.block(worker, () => this.answersRead(worker) && !this.hasTasksOn(worker), deadline)
      if (outcome === 'dead') this.workerDied(worker)
    }
    this.shutdown(new BridgeClosedError('The portal was stopped before this task finished'))
  }

  /** Stops at once: what is not settled fails with `reason`. The bridge's `close()` calls this. */
  shutdown(reason: Error): void {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    for (const [id, task] of [...this.tasks]) this.fail(id, task, reason)
    this.caller.close() // after: a backend may report the thread's exit synchronously
    this.release()
    this.config.onStopped(this)
  }

  [disposeSymbol](): void {
    this.stop()
  }

  async [asyncDisposeSymbol](): Promise<void> {
    while (this.unsettled > 0) await Promise.allSettled([...this.tasks.values()].map((task) => task.future))
    this.stop()
  }

  // CallTarget: what the portal's module handles call.

  assertOpen(): void {
    if (this.state !== 'running') throw new BridgeClosedError('The portal is not running: it was stopped')
  }

  countCall(): void {
    this.config.countCall()
  }

  callSync(call: SyncCall): unknown {
    return this.caller.call(call)
  }

  callAsync(call: AsyncCall): Promise<unknown> {
    if (call.signal?.aborted) return Promise.reject(call.signal.reason)
    try {
      return this.launch(call, undefined, call).promise
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Posts a task and returns its future. `release` frees its callbacks when the worker
   * is done with it; `cancelOn` wires a signal and a deadline to `cancel()`. Throws (the
   * worker untouched) if an argument cannot be cloned.
   */
  launch(call: CallRequest, release: (() => void) | undefined, cancelOn: { signal?: AbortSignal; timeout: number }): Future<unknown> {
    const worker = this.caller.ensureWorker()
    const id = ++this.lastTaskId
    worker.postTask(id, call)
    const future = new Future<unknown>(this, id)
    this.tasks.set(id, { future, worker, url: call.url, name: call.name, release })
    this.unsettled++
    this.keepAlive ??= setInterval(ignore, 1 << 30)
    future.watchCancellation(cancelOn, call, this.config.caller.backend)
    this.watch(worker)
    return future
  }

  /** Blocks until `future` settles; `TimeoutError` after `timeout` ms (the task goes on). */
  waitFor(future: Future<unknown>, timeout: number): void {
    const task = this.tasks.get(future.id)
    if (task === undefined) return
    const worker = task.worker
    this.caller.assertCanBlock('future.result()', true)
    const outcome = this.caller.block(worker, () => this.answersRead(worker) && future.done(), now() + timeout)
    if (outcome === 'dead') this.workerDied(worker)
    if (outcome === 'timeout') {
      throw new TimeoutError(`future.result() timed out after ${timeout} ms ('${task.name}' keeps running; wait again or cancel it)`, timeout)
    }
  }

  /** Settles `future` as cancelled and tells the worker; its answer, when it comes, is dropped. */
  cancelled(future: Future<unknown>, reason: unknown): void {
    this.settled(future, false, reason, true)
    this.tasks.get(future.id)?.worker.cancelTask(future.id)
  }

  /** Reads the answer of `future`'s task if it has been sent: `done()` needs no event loop. */
  poll(future: Future<unknown>): void {
    const task = this.tasks.get(future.id)
    if (task !== undefined) this.answersRead(task.worker)
  }

  /** Reads task answers that are in the port; false if one is still in transit. */
  private answersRead(worker: WorkerSlot): boolean {
    if (worker.taskAnswerInTransit) worker.inbox.drain()
    return !worker.taskAnswerInTransit
  }

  private hasTasksOn(worker: WorkerSlot): boolean {
    for (const task of this.tasks.values()) if (task.worker === worker) return true
    return false
  }

  /** The worker answered task `id`. */
  private answered(id: number, kind: number, values: unknown[]): void {
    const task = this.tasks.get(id)
    if (task === undefined) return
    this.tasks.delete(id)
    task.release?.()
    let ok = true
    let value: unknown
    try {
      value = answerValue(kind, values[0], task.url)
    } catch (error) {
      ok = false
      value = error
    }
    this.settled(task.future, ok, value)
  }

  private fail(id: number, task: PostedTask, error: unknown): void {
    this.tasks.delete(id)
    task.release?.()
    this.settled(task.future, false, error)
  }

  private settled(future: Future<unknown>, ok: boolean, value: unknown, cancelled = false): void {
    if (!future.settle(ok, value, cancelled)) return
    if (--this.unsettled === 0) this.release()
  }

  /** The portal's thread died: its tasks fail; the next call starts a new thread. */
  private workerDied(worker: WorkerSlot): void {
    worker.inbox.drain() // answers sent before it died still count
    for (const [id, task] of [...this.tasks]) {
      if (task.worker === worker) this.fail(id, task, worker.crashError(`the portal task '${task.name}'`))
    }
  }

  /**
   * Reads task answers on the event loop, for futures that are awaited rather than
   * blocked on: waits (without blocking) on the channel's event count.
   */
  private watch(worker: WorkerSlot): void {
    if (this.watching === worker) return
    this.watching = worker
    const slots = worker.channel.slots
    Atomics.add(slots, Slot.HostWaits, 1) // the worker must notify its answers
    const loop = (): void => {
      for (;;) {
        if (this.unsettled === 0 || this.watching !== worker || !this.hasTasksOn(worker)) {
          Atomics.sub(slots, Slot.HostWaits, 1)
          if (this.watching === worker) this.watching = undefined
          return
        }
        const wake = Atomics.load(slots, Slot.Wake)
        if (!this.answersRead(worker)) {
          schedule(this.config.caller.backend, loop, 1) // an answer still moving through the port
          return
        }
        if (worker.dead) {
          this.workerDied(worker)
          continue
        }
        const waiting = Atomics.waitAsync(slots, Slot.Wake, wake)
        if (waiting.async) {
          waiting.value.then(loop)
          return
        }
      }
    }
    loop()
  }

  /** Lets the process exit: nothing is owed any more. */
  private release(): void {
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive)
    this.keepAlive = undefined
  }
}

class PortalHandle<M> extends Handle<M> implements PortalModuleHandle<M> {
  constructor(
    readonly portal: Portal,
    moduleId: number,
    url: string,
    options: CallOptions,
  ) {
    super(portal, moduleId, url, options)
  }

  startTaskSoon(name: string, ...args: unknown[]): PortalFuture<never> {
    const portal = this.portal
    portal.assertOpen()
    if (typeof name !== 'string') throw new TypeError(`startTaskSoon: the export name must be a string, got ${typeof name}`)
    const { signal, transfer, timeout } = this.options
    if (signal?.aborted) throw signal.reason
    portal.countCall()
    const release = registerCallbacks(portal.host, args)
    try {
      const call = { moduleId: this.moduleId, url: this.url, name, args, transfer }
      return portal.launch(call, release, { signal, timeout: timeout ?? portal.defaultTimeout }) as unknown as PortalFuture<never>
    } catch (error) {
      release?.()
      throw error
    }
  }

  override with(options: CallOptions): PortalModuleHandle<M> {
    return super.with(options) as PortalModuleHandle<M>
  }

  protected override derive(options: CallOptions): Handle<M> {
    return new PortalHandle<M>(this.portal, this.moduleId, this.url, options)
  }
}

const Pending = 0
const Fulfilled = 1
const Rejected = 2

export class Future<T> implements PortalFuture<T> {
  private outcome = Pending
  private isCancelled = false
  private value: unknown
  /** Made on the first `then()`: a future only ever blocked on needs no Promise. */
  private settled: { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } | undefined
  private stopWatching: (() => void) | undefined

  constructor(
    private readonly portal: Portal,
    /** The task's number on its portal. */
    readonly id: number,
  ) {}

  /** The future as a Promise. */
  get promise(): Promise<T> {
    if (this.settled === undefined) {
      if (this.outcome === Fulfilled) return Promise.resolve(this.value as T)
      if (this.outcome === Rejected) return Promise.reject(this.value)
      let resolve!: (value: T) => void
      let reject!: (error: unknown) => void
      const promise = new Promise<T>((yes, no) => {
        resolve = yes
        reject = no
      })
      this.settled = { promise, resolve, reject }
    }
    return this.settled.promise
  }

  /** Cancels on `signal` or after `timeout` ms. */
  watchCancellation(on: { signal?: AbortSignal; timeout: number }, call: CallRequest, backend: SyncCallerOptions['backend']): void {
    const { signal, timeout } = on
    const onAbort = (): void => void this.cancel(signal!.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const timer = Number.isFinite(timeout)
      ? schedule(backend, () => this.cancel(new TimeoutError(`run('${call.name}') on ${call.url} timed out after ${timeout} ms`, timeout)), timeout)
      : undefined
    if (signal === undefined && timer === undefined) return
    this.stopWatching = () => {
      signal?.removeEventListener('abort', onAbort)
      if (timer !== undefined) clearTimeout(timer as ReturnType<typeof setTimeout>)
    }
  }

  /** Settles once; returns false if it had settled already. */
  settle(ok: boolean, value: unknown, cancelled = false): boolean {
    if (this.outcome !== Pending) return false
    this.outcome = ok ? Fulfilled : Rejected
    this.isCancelled = cancelled
    this.value = value
    this.stopWatching?.()
    this.stopWatching = undefined
    if (ok) this.settled?.resolve(value as T)
    else this.settled?.reject(value)
    return true
  }

  result(timeout?: number): T {
    const limit = checkTimeout(timeout, 'result(timeout)')
    if (this.outcome === Pending) this.portal.waitFor(this as Future<unknown>, limit)
    if (this.outcome === Fulfilled) return this.value as T
    throw this.value
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise.then(onFulfilled, onRejected)
  }

  done(): boolean {
    if (this.outcome === Pending) this.portal.poll(this as Future<unknown>)
    return this.outcome !== Pending
  }

  cancelled(): boolean {
    return this.isCancelled
  }

  cancel(reason: unknown = new CancelledError('The task was cancelled')): boolean {
    if (this.outcome !== Pending) return false
    this.portal.cancelled(this as Future<unknown>, reason)
    return true
  }
}
