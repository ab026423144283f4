/**
 * The async side, after anyio's `to_thread.run_sync`: `handle.run()` hands a call to a
 * pool thread and returns a Promise, so the caller's event loop keeps running.
 *
 * Each pool worker has its own channel, the same as the sync caller's. The host does not
 * block: it waits on the channel's event count without blocking (`wait.ts` `onEvents`),
 * which the worker bumps when it answers (and its death hook when it dies). A thread
 * that dies without a hook is reported by the runtime's exit event, which can run here
 * because this side never blocks.
 */
import { BridgeClosedError, QueueFullError, WorkerCrashedError } from '../shared/errors.ts'
import { now } from '../shared/wait-policy.ts'
import { PORT_PATIENCE_MILLIS } from '../wire/protocol.ts'
import { CancelWatch, KeepAlive } from './lifetime.ts'
import { drained, onEvents, schedule } from './wait.ts'
import { BusyWindow, Durations } from './stats.ts'
import { WorkerSlot } from './worker-slot.ts'
import { PoolWorker, Task } from './pool-task.ts'
import type { PoolCall, ResolvedPoolOptions, TaskBorrower, TokenSource } from './pool-task.ts'

/** The error of a task no thread could be started for. */
const cannotStart = (task: Task, cause: unknown): WorkerCrashedError =>
  new WorkerCrashedError(`Could not start a pool thread for run('${task.call.name}')`, { cause })

export class Pool {
  private readonly workers = new Set<PoolWorker>()
  private readonly idle: PoolWorker[] = []
  private readonly queue: Task[] = []
  /** Tasks waiting for a limiter token; `close()` settles them at once. */
  private readonly waitingForToken = new Set<Task>()
  private queueHead = 0
  /** Tasks not settled yet. */
  inFlight = 0
  private readonly keepAlive = new KeepAlive()
  private idleTimer: unknown
  private closed = false
  /** Tasks answered by their thread (a value or an error), for statistics. */
  completed = 0
  private lastTaskId = 0
  /** Queue and token wait of each task that started, ms. */
  readonly waitTime = new Durations()
  /** Run time of each answered task, ms. */
  readonly runTime = new Durations()
  private readonly busy = new BusyWindow(now())

  constructor(private readonly options: ResolvedPoolOptions) {}

  /**
   * The share of the pool's capacity (`maxThreads` threads, or the live threads if a
   * limiter grew the pool beyond) busy with tasks over the last `UTILIZATION_WINDOW_MILLIS`.
   */
  get utilization(): number {
    const running: number[] = []
    for (const worker of this.workers) if (worker.task !== undefined && worker.task.startedAt > 0) running.push(worker.task.startedAt)
    return Math.min(1, this.busy.utilization(now(), Math.max(this.options.maxThreads, this.workers.size), running))
  }

  get threads(): number {
    return this.workers.size
  }

  /** Tasks waiting for a thread, or for a limiter token before that (`stats().queued`). */
  get queued(): number {
    return this.queueLength + this.waitingForToken.size
  }

  /** Tasks in the queue, holding their token and waiting for a thread. */
  private get queueLength(): number {
    return this.queue.length - this.queueHead
  }

  run(call: PoolCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (call.signal?.aborted) return reject(call.signal.reason)
      const task = new Task(++this.lastTaskId, call, resolve, reject)
      const starting = (): boolean => task.worker?.slot.starting(task.seq) === true
      task.watch = new CancelWatch(call, this.options, starting, (reason, kind) => this.cancel(task, reason, kind))
      this.inFlight++
      this.keepAlive.hold()
      this.options.events.emit('anythread:task:queued', () => ({ task: task.id, name: call.name, module: call.url }))
      if (call.limiter === undefined) return this.enqueue(task)
      // Every earlier task waits, or no token is free: this one would wait too.
      if (this.queued >= this.options.maxQueue && (this.waitingForToken.size > 0 || call.limiter.availableTokens === 0)) {
        return this.finish(task, false, this.queueFull())
      }
      const borrower: TaskBorrower = Object.freeze({ kind: 'run', task: task.id, name: call.name, module: call.url })
      const { limiter } = call
      if (this.tookTokenAtOnce(limiter, borrower)) {
        task.borrower = borrower
        return this.enqueue(task)
      }
      this.waitingForToken.add(task)
      limiter.acquireOnBehalfOf(borrower, call.signal === undefined ? undefined : { signal: call.signal }).then(
        () => {
          this.waitingForToken.delete(task)
          if (task.settled) return limiter.releaseOnBehalfOf(borrower) // cancelled or closed while waiting
          task.borrower = borrower
          try {
            this.enqueue(task)
          } catch (error) {
            this.finish(task, false, error)
          }
        },
        (error: unknown) => {
          this.waitingForToken.delete(task)
          this.finish(task, false, error)
        },
      )
    })
  }

  /**
   * Takes a free token synchronously, so that a task that need not wait is never counted
   * as waiting (`queued`, `maxQueue`, `needsDrain` stay exact).
   */
  private tookTokenAtOnce(limiter: TokenSource, borrower: TaskBorrower): boolean {
    if (limiter.availableTokens === 0) return false
    try {
      limiter.acquireOnBehalfOfNowait(borrower)
      return true
    } catch {
      return false // others wait already (WouldBlockError): queue up behind them
    }
  }

  /** Stops every thread; tasks not settled yet reject with `BridgeClosedError`. */
  close(): void {
    this.closed = true
    const closing = new BridgeClosedError('The bridge was closed before this task finished')
    const pending = [...this.waitingForToken, ...this.queue.slice(this.queueHead), ...[...this.workers].map((worker) => worker.task)]
    const workers = [...this.workers]
    this.waitingForToken.clear()
    this.queue.length = this.queueHead = 0
    this.workers.clear() // first: a thread's exit event must not pass for a crash
    this.idle.length = 0
    for (const worker of workers) worker.slot.retire('bridge closed')
    for (const task of pending) if (task !== undefined) this.finish(task, false, closing)
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer as ReturnType<typeof setTimeout>)
    this.keepAlive.release()
    this.notifyDrained()
  }

  private enqueue(task: Task): void {
    if (task.settled) return
    if (this.closed) return this.finish(task, false, new BridgeClosedError('The bridge was closed before this task started'))
    if (!task.call.cappedByMaxThreads) return this.startUncapped(task)
    if (this.queueLength >= this.options.maxQueue && this.cappedRunning() >= this.options.maxThreads) {
      return this.finish(task, false, this.queueFull())
    }
    this.queue.push(task)
    this.dispatch()
  }

  private queueFull(): QueueFullError {
    return new QueueFullError(`The pool queue is full (maxQueue: ${this.options.maxQueue})`)
  }

  /**
   * Whether the queue is at its high-water mark: `maxQueue` tasks waiting, or (with no
   * `maxQueue`) `maxThreads` of them, a whole round of work. Stop submitting, then
   * `await drained()`.
   */
  get needsDrain(): boolean {
    const { maxQueue, maxThreads } = this.options
    return this.queued >= (Number.isFinite(maxQueue) ? Math.max(1, maxQueue) : maxThreads)
  }

  /** Resolves once no task waits (for a token or a thread); at once if none does. */
  drained(): Promise<void> {
    if (this.queued === 0) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  private readonly drainWaiters: (() => void)[] = []

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0 || this.queued !== 0) return
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }

  /** Tasks of the default limiter on a thread now (draining cancelled ones included). */
  private cappedRunning(): number {
    let running = 0
    for (const worker of this.workers) if (worker.task?.call.cappedByMaxThreads) running++
    return running
  }

  /**
   * Starts a task whose own limiter bounds it (it holds its token already): on an idle
   * thread, or on a new one whatever `maxThreads` says. It never waits in the queue.
   */
  private startUncapped(task: Task): void {
    const worker = this.idleOrNewWorker()
    if (worker instanceof PoolWorker) this.start(worker, task)
    else this.finish(task, false, cannotStart(task, worker.cause))
    this.notifyDrained()
  }

  /** An idle live thread, else a new one; `{ cause }` if none could be started. */
  private idleOrNewWorker(): PoolWorker | { cause: unknown } {
    for (let worker = this.idle.pop(); worker !== undefined; worker = this.idle.pop()) {
      if (!worker.slot.dead) return worker
      this.retire(worker, 'died while idle')
    }
    try {
      return this.spawn()
    } catch (cause) {
      return { cause }
    }
  }

  /** Hands queued tasks (all of the default limiter) to idle or new threads, up to `maxThreads` of them at once. */
  private dispatch(): void {
    while (this.queueLength > 0 && this.cappedRunning() < this.options.maxThreads) {
      const worker = this.idleOrNewWorker()
      const task = this.takeQueued()
      if (!(worker instanceof PoolWorker)) {
        this.finish(task, false, cannotStart(task, worker.cause))
      } else if (task.settled) this.idle.push(worker)
      else this.start(worker, task)
    }
    this.notifyDrained()
  }

  /** The oldest queued task (the queue holds live tasks only: cancellation removes them). */
  private takeQueued(): Task {
    const task = this.queue[this.queueHead]!
    this.queue[this.queueHead++] = undefined as unknown as Task // let it be collected
    if (this.queueHead === this.queue.length || (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length)) {
      this.queue.splice(0, this.queueHead)
      this.queueHead = 0
    }
    return task
  }

  private start(worker: PoolWorker, task: Task): void {
    worker.task = task
    task.worker = worker
    try {
      task.seq = worker.slot.post(task.call)
    } catch (error) {
      // An argument could not be cloned: nothing reached the worker.
      worker.task = undefined
      this.makeIdle(worker)
      return this.finish(task, false, error)
    }
    worker.tasksRun++
    task.startedAt = now()
    this.waitTime.record(task.startedAt - task.queuedAt)
    this.options.events.emit('anythread:task:started', () => ({
      task: task.id,
      name: task.call.name,
      module: task.call.url,
      worker: worker.slot.id,
      waitMs: task.startedAt - task.queuedAt,
    }))
    this.watch(worker, task)
  }

  /** Waits, without blocking, for the worker to answer task `task`. */
  private watch(worker: PoolWorker, task: Task): void {
    const { slot } = worker
    onEvents(slot, () => {
      if (worker.task !== task || task.worker !== worker) return true // cancelled and moved on
      if (slot.answered(task.seq)) this.complete(worker, task)
      else if (slot.dead) this.crashed(worker)
      else {
        task.watch?.startupChanged(slot.starting(task.seq))
        slot.noticeReady()
        return false
      }
      return true
    })
  }

  private complete(worker: PoolWorker, task: Task, patience = now() + PORT_PATIENCE_MILLIS): void {
    if (worker.task !== task || task.done) return // completed (or closed) meanwhile
    // An answer sent through the port may trail its state: look again soon, never block.
    if (!worker.slot.answerArrived(task.seq) && now() < patience && !worker.slot.dead) {
      schedule(this.options.backend, () => this.complete(worker, task, patience), 1)
      return
    }
    let ok = true
    let value: unknown
    try {
      value = worker.slot.readAnswer(task.seq, task.call)
    } catch (error) {
      ok = false
      value = error
    }
    worker.task = undefined
    task.worker = undefined
    this.completed++
    const end = now()
    this.runTime.record(end - task.startedAt)
    this.busy.record(task.startedAt, end)
    this.finish(task, ok, value) // first, so that its finished event precedes the next task's start
    this.makeIdle(worker)
  }

  /** The caller gave up on `task` (signal or deadline); the first reason wins. */
  private cancel(task: Task, reason: unknown, kind: 'abort' | 'timeout'): void {
    if (task.settled || task.cancelled) return
    task.cancelled = true
    task.stopWatching()
    const worker = task.worker
    this.options.events.emit(kind === 'timeout' ? 'anythread:call:timeout' : 'anythread:call:cancel', () => ({
      api: 'run' as const,
      worker: worker?.slot.id,
      name: task.call.name,
      module: task.call.url,
      task: task.id,
    }))
    if (worker === undefined) {
      // Queued, or waiting for a token: take it out and settle it now.
      const at = this.queue.indexOf(task, this.queueHead)
      if (at !== -1) this.queue.splice(at, 1)
      this.waitingForToken.delete(task)
      return this.finish(task, false, reason)
    }
    this.takeBack(worker, task, reason, kind, now() + this.options.cancelGrace)
  }

  /** Takes a running task back from its thread, without ever blocking this event loop. */
  private takeBack(worker: PoolWorker, task: Task, reason: unknown, kind: 'abort' | 'timeout', deadline: number): void {
    if (task.worker !== worker || task.settled) return
    const outcome = worker.slot.abandon(task.seq, task.call, kind, 0)
    if (outcome === 'answered') return this.complete(worker, task) // the answer won the race: deliver it
    if (outcome === 'dead') return this.crashed(worker, reason)
    if (outcome === 'busy') {
      // The thread is copying the answer (maybe running a getter of it): look again soon.
      if (now() < deadline) schedule(this.options.backend, () => this.takeBack(worker, task, reason, kind, deadline), 1)
      else {
        this.retire(worker, 'recycled: stuck writing a cancelled answer', true)
        this.finish(task, false, reason)
        this.dispatch()
      }
      return
    }
    task.worker = undefined // the answer, if any, is no longer this task's
    // A deadline is a deadline: reject now. An abort waits for the thread to let go of the
    // task (anyio's default), unless the caller chose to abandon it.
    if (kind === 'timeout' || task.call.abandonOnCancel) task.settle(false, reason)
    this.drain(worker, task, reason, deadline)
  }

  /**
   * Waits for a cancelled task to stop running on `worker` (the worker counts it busy
   * until then), then frees the thread; past the grace period, replaces the thread.
   */
  private drain(worker: PoolWorker, task: Task, reason: unknown, deadline: number): void {
    void drained(worker.slot, deadline).then((free) => {
      if (free) {
        worker.task = undefined
        this.makeIdle(worker)
      } else {
        // It ignored the cancellation past the grace period, or died.
        this.retire(worker, worker.slot.dead ? 'died' : 'recycled: ignored a cancellation past cancelGrace', !worker.slot.dead)
      }
      this.finish(task, false, reason)
      this.dispatch()
    })
  }

  /**
   * Ends a task: settles its promise (unless `abandonOnCancel` did already), gives back
   * its limiter token, and lets the process exit once nothing is in flight.
   */
  private finish(task: Task, ok: boolean, value: unknown): void {
    task.releaseToken()
    task.settle(ok, value)
    if (task.done) return
    task.done = true
    if (--this.inFlight === 0) this.keepAlive.release()
    const outcome = task.outcome ?? { ok, value } // a timed-out task settled before its thread let go
    this.options.events.emit('anythread:task:finished', () => ({
      task: task.id,
      name: task.call.name,
      module: task.call.url,
      ok: outcome.ok,
      ...(!outcome.ok && { error: outcome.value }),
      runMs: task.startedAt === 0 ? 0 : now() - task.startedAt,
    }))
    this.notifyDrained()
  }

  /** A thread died with a task on it: fail the task, replace the thread, keep going. */
  private crashed(worker: PoolWorker, reason?: unknown): void {
    const task = worker.task
    const error = task === undefined ? undefined : (reason ?? worker.slot.crashError(`run('${task.call.name}')`))
    this.retire(worker, 'died') // after crashError() read the port
    if (task !== undefined) this.finish(task, false, error)
    this.dispatch()
  }

  private spawn(): PoolWorker {
    const slot = new WorkerSlot(this.options, (dead) => {
      const worker = [...this.workers].find((candidate) => candidate.slot === dead)
      if (worker !== undefined) this.crashed(worker)
    })
    if (this.options.backend.canUnref) slot.thread.unref()
    // The pool always awaits its workers' answers with waitAsync: they must always notify.
    slot.channel.holdNotify(true)
    const worker = new PoolWorker(slot)
    this.workers.add(worker)
    return worker
  }

  private retire(worker: PoolWorker, reason: string, stuck = false): void {
    this.workers.delete(worker)
    const at = this.idle.indexOf(worker)
    if (at !== -1) this.idle.splice(at, 1)
    worker.task = undefined
    worker.slot.retire(reason, stuck)
  }

  private makeIdle(worker: PoolWorker): void {
    if (this.closed || !this.workers.has(worker)) return
    const recycle = this.recycleReason(worker)
    if (recycle !== undefined) {
      this.retire(worker, `recycled: ${recycle}`)
      return this.dispatch()
    }
    worker.idleSince = now()
    this.idle.push(worker)
    this.dispatch()
    if (Number.isFinite(this.options.idleTimeout) && this.idleTimer === undefined) this.armIdleTimer()
  }

  /** Why a thread between tasks must be replaced (`maxTasksPerWorker`, `maxWorkerMemoryMB`), if it must. */
  private recycleReason(worker: PoolWorker): string | undefined {
    const { maxTasksPerWorker, maxWorkerMemoryMB } = this.options
    if (worker.tasksRun >= maxTasksPerWorker) return `ran ${worker.tasksRun} tasks (maxTasksPerWorker)`
    const heap = worker.slot.heapUsedMiB
    if (heap !== undefined && heap > maxWorkerMemoryMB) return `heap ${heap.toFixed(1)} MiB above maxWorkerMemoryMB (${maxWorkerMemoryMB})`
    return undefined
  }

  /** Stops threads above `minThreads` that idled for `idleTimeout`. */
  private armIdleTimer(): void {
    const check = (): void => {
      this.idleTimer = undefined
      if (this.closed) return
      const cutoff = now() - this.options.idleTimeout
      let next = Infinity
      for (const worker of [...this.idle]) {
        if (this.workers.size <= this.options.minThreads) break
        if (worker.idleSince <= cutoff) this.retire(worker, 'idle')
        else next = Math.min(next, worker.idleSince + this.options.idleTimeout - now())
      }
      if (Number.isFinite(next)) this.idleTimer = schedule(this.options.backend, check, Math.max(1, next))
    }
    this.idleTimer = schedule(this.options.backend, check, this.options.idleTimeout)
  }
}
