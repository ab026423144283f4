/**
 * Blocking portals, after anyio's `BlockingPortal`: a thread with its own event loop that
 * synchronous code drives across many calls. Modules loaded on a portal keep their state
 * (connections, caches) between calls, and tasks started with `startTaskSoon` run there
 * side by side, each with a future the caller can block on, await or cancel.
 *
 * A portal is a sync caller that never idles its thread out or replaces it on a timeout,
 * plus tasks that travel through the worker's port (several may run at once) and answer
 * through it. The host reads those answers without its event loop: the worker counts
 * them in the channel and wakes the host like any other answer.
 */
import { BridgeClosedError, CancelledError, TimeoutError } from '../shared/errors.ts'
import type { AnyModule, CallOptions, Closeable, ExportArgs, ExportName, ExportResult, ModuleHandle } from '../shared/types.ts'
import { now } from '../shared/wait-policy.ts'
import { BlockingThread } from './blocking-thread.ts'
import type { BlockingThreadOptions, SyncCall } from './blocking-thread.ts'
import { Handle } from './handle.ts'
import type { AsyncCall, CallTarget } from './handle.ts'
import { CancelWatch, KeepAlive, asyncDisposeSymbol, disposeSymbol } from './lifetime.ts'
import { ModuleIds } from './modules.ts'
import { Future } from './portal-future.ts'
import type { FutureOwner } from './portal-future.ts'
import { registerCallbacks } from './reverse-server.ts'
import type { HostFunctions } from './reverse-server.ts'
import { deadlineAt, onEvents, schedule } from './wait.ts'
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
 * Stop it when done (`stop()`, or `using portal = bridge.startBlockingPortal()`);
 * `await using` awaits the remaining tasks without blocking this thread, then stops.
 */
export interface BlockingPortal extends Closeable {
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
}

/** What a portal takes from its bridge. */
export interface PortalConfig {
  readonly caller: BlockingThreadOptions
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

export class Portal implements BlockingPortal, CallTarget, FutureOwner {
  private readonly thread: BlockingThread
  private readonly modules = new ModuleIds()
  private readonly tasks = new Map<number, PostedTask>()
  /** Futures not settled yet: while there are any, the process is kept alive. */
  private unsettled = 0
  private lastTaskId = 0
  private state: 'running' | 'stopping' | 'stopped' = 'running'
  /** The worker whose task answers an event-loop watcher waits for, if any. */
  private watching: WorkerSlot | undefined
  private readonly keepAlive = new KeepAlive()
  readonly host: HostFunctions
  readonly defaultTimeout: number

  constructor(private readonly config: PortalConfig) {
    this.host = config.host
    this.defaultTimeout = config.defaultTimeout
    // A portal's thread is never replaced after a timeout nor idled out: it keeps its
    // module state until the portal stops.
    const options = { ...config.caller, onTaskAnswer: (id: number, kind: number, values: unknown[]) => this.answered(id, kind, values) }
    this.thread = new BlockingThread(options, 'this portal', (worker) => this.workerDied(worker))
  }

  get running(): boolean {
    return this.state === 'running'
  }

  /** Live threads: 0 or 1. */
  get threads(): number {
    return this.thread.threads
  }

  load<M = AnyModule>(url: string | URL): PortalModuleHandle<M> {
    this.assertOpen()
    const href = this.config.resolveUrl(url)
    return new PortalHandle<M>(this, this.modules.idFor(href), href, {})
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
    const worker = this.thread.worker
    // Not from inside a call on this portal: its thread would be stopped under that call.
    this.thread.assertCanBlock('portal.stop()')
    this.state = 'stopping' // from here on, new calls are refused
    if (cancelRemaining) {
      for (const task of [...this.tasks.values()]) task.future.cancel(new CancelledError('The task was cancelled: its portal was stopped'))
    }
    if (worker !== undefined && this.tasks.size > 0) {
      const deadline = cancelRemaining ? now() + this.config.cancelGrace : Infinity
      const outcome = this.thread.block(worker, () => this.answersRead(worker) && !this.hasTasksOn(worker), deadlineAt(deadline))
      if (outcome === 'dead') this.workerDied(worker)
    }
    this.shutdown(new BridgeClosedError('The portal was stopped before this task finished'))
  }

  /** Stops at once: what is not settled fails with `reason`. The bridge's `close()` calls this. */
  shutdown(reason: Error): void {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    for (const [id, task] of [...this.tasks]) this.fail(id, task, reason)
    this.thread.close() // after: a backend may report the thread's exit synchronously
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
    return this.thread.call(call)
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
    const worker = this.thread.ensure()
    const id = ++this.lastTaskId
    worker.postTask(id, call)
    const future = new Future<unknown>(this, id)
    this.tasks.set(id, { future, worker, url: call.url, name: call.name, release })
    this.unsettled++
    this.keepAlive.hold()
    // Portal tasks travel through the port, so only the thread's boot counts as start-up.
    const watch = new CancelWatch(
      { ...cancelOn, name: call.name, url: call.url },
      this.config.caller,
      () => worker.booting,
      (reason) => future.cancel(reason),
    )
    watch.startupChanged(worker.booting)
    future.onSettled(() => watch.stop())
    this.watch(worker)
    return future
  }

  /** Blocks until `future` settles; `TimeoutError` after `timeout` ms (the task goes on). */
  waitFor(future: Future<unknown>, timeout: number): void {
    const task = this.tasks.get(future.id)
    if (task === undefined) return
    const worker = task.worker
    this.thread.assertCanBlock('future.result()', true)
    const outcome = this.thread.block(worker, () => this.answersRead(worker) && future.done(), deadlineAt(now() + timeout))
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
    worker.channel.holdNotify(true) // the worker must notify its answers
    onEvents(worker, () => {
      if (worker.dead) this.workerDied(worker)
      if (this.unsettled === 0 || this.watching !== worker || !this.hasTasksOn(worker)) {
        worker.channel.holdNotify(false)
        if (this.watching === worker) this.watching = undefined
        return true
      }
      if (!this.answersRead(worker)) {
        // An answer still moving through the port: look again soon.
        this.watching = undefined
        worker.channel.holdNotify(false)
        schedule(this.config.caller.backend, () => this.watch(worker), 1)
        return true
      }
      return false
    })
  }

  /** Lets the process exit: nothing is owed any more. */
  private release(): void {
    this.keepAlive.release()
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
