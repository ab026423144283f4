/**
 * The blocking side: one worker serving `runSync` calls, started on the first call and
 * replaced when it dies or stays stuck in a call its caller gave up on.
 *
 * Every wait here ends: on the answer, on the call's deadline, on the worker's death
 * hook (which notifies the channel), or on the backend's liveness probe, checked between
 * parks of at most `parkSliceMillis`.
 */
import { Life, Slot } from './channel.ts'
import { DeadlockError, TimeoutError, appendCallerStack } from './errors.ts'
import { AdaptiveSpin, now, schedule } from './wait.ts'
import type { WaitPolicy } from './wait.ts'
import { WorkerSlot } from './worker-slot.ts'
import type { CallRequest, SlotOptions } from './worker-slot.ts'

export interface SyncCallerOptions extends SlotOptions {
  readonly wait: WaitPolicy
  /** Stop a worker idle this long (ms); Infinity keeps it. */
  readonly idleTimeout: number
  /** How long the next call waits for a timed-out call to settle before replacing its worker (ms). */
  readonly settleGrace: number
  /** How long a starting worker may take before its call fails (ms). */
  readonly startupTimeout: number
  /**
   * Replace a worker still running a call that timed out, when the next call comes and it
   * does not settle within `settleGrace`. Default true; a portal keeps its thread (and its
   * module state) instead.
   */
  readonly replaceStuck?: boolean
  /** Runs on the host's event loop when a worker of this caller ends. */
  readonly onWorkerExit?: (worker: WorkerSlot) => void
  /** What to call the owner in errors: 'this bridge' or 'this portal'. */
  readonly owner?: string
}

/** How a blocking wait ended. */
export type BlockOutcome = 'done' | 'timeout' | 'dead'

/** One blocking call, as the bridge hands it over. */
export interface SyncCall extends CallRequest {
  readonly timeout: number
  /** The public function the user called, to cut our frames off the caller's stack. */
  readonly entry: Function
}

export class SyncCaller {
  private worker: WorkerSlot | undefined
  private inCall = false
  /** A call on the current worker was abandoned; recycle it if that call is still running. */
  private abandoned = false
  private closed = false
  private readonly spin: AdaptiveSpin
  private lastUsed = 0
  private idleTimer: unknown

  constructor(private readonly options: SyncCallerOptions) {
    this.spin = new AdaptiveSpin(options.wait.spinMicros, options.wait.minSpinMicros)
  }

  /** Number of live workers (0 or 1). */
  get threads(): number {
    return this.worker === undefined || this.worker.dead ? 0 : 1
  }

  call(call: SyncCall): unknown {
    this.assertCanBlock(`runSync('${call.name}')`)
    const worker = this.ensureWorker()
    this.inCall = true
    try {
      const seq = worker.post(call)
      const outcome = this.block(worker, () => worker.answered(seq), now() + call.timeout, true)
      if (outcome !== 'done') this.gaveUp(worker, seq, call, outcome)
      try {
        return worker.readAnswer(seq, call)
      } catch (error) {
        throw appendCallerStack(error, captureCaller(call.entry))
      }
    } finally {
      this.inCall = false
      this.lastUsed = now()
      if (Number.isFinite(this.options.idleTimeout)) this.armIdleTimer()
    }
  }

  /**
   * Throws `DeadlockError` if blocking on this caller's worker could never end: this thread
   * is inside a call to it already (unless `nested`: a wait that the worker can answer
   * while that call is in flight), or the worker is itself blocked waiting for this
   * thread (a host function it called with `fromThread.runSync` is running).
   */
  assertCanBlock(what: string, nested = false): void {
    const owner = this.options.owner ?? 'this bridge'
    if (this.inCall && !nested) {
      throw new DeadlockError(`${what} was called while ${owner}'s own sync call is in flight; it could never complete`)
    }
    if (this.worker !== undefined && this.worker.reverse.servingBlockedWorker) {
      throw new DeadlockError(
        `${what} was called from ${owner}'s own thread: its worker is blocked in fromThread.runSync() until this host function returns, so it could never complete`,
      )
    }
  }

  /** The live worker, started if there is none. */
  ensureWorker(): WorkerSlot {
    let worker = this.worker
    if (worker !== undefined && (worker.dead || (this.abandoned && this.options.replaceStuck !== false && !this.settles(worker)))) {
      // Dead, or still running a call its caller gave up on: start afresh.
      this.retire(worker.dead ? 'died' : 'recycled: a timed-out call did not settle')
      worker = undefined
    }
    return worker ?? this.spawn()
  }

  /** The worker, if one runs. */
  get current(): WorkerSlot | undefined {
    return this.worker
  }

  close(): void {
    this.closed = true
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer as ReturnType<typeof setTimeout>)
    this.idleTimer = undefined
    this.retire('bridge closed')
  }

  /** Waits up to `settleGrace` for calls abandoned on `worker` to settle. */
  private settles(worker: WorkerSlot): boolean {
    const slots = worker.channel.slots
    const deadline = now() + this.options.settleGrace
    for (let busy = Atomics.load(slots, Slot.Busy); busy > 0; busy = Atomics.load(slots, Slot.Busy)) {
      const left = deadline - now()
      if (left <= 0 || worker.dead) return false
      Atomics.add(slots, Slot.HostWaits, 1)
      Atomics.wait(slots, Slot.Busy, busy, Math.min(left, this.options.wait.parkSliceMillis))
      Atomics.sub(slots, Slot.HostWaits, 1)
    }
    this.abandoned = false
    return true
  }

  private spawn(): WorkerSlot {
    const worker = new WorkerSlot(this.options, (slot) => {
      if (this.worker === slot) this.retire('exited')
      this.options.onWorkerExit?.(slot)
    })
    if (this.options.backend.canUnref) worker.thread.unref()
    this.worker = worker
    this.abandoned = false
    return worker
  }

  private retire(reason: string): void {
    this.worker?.retire(reason)
    this.worker = undefined
  }

  /**
   * Blocks this thread until `done()` holds, the deadline passes, or `worker` dies, and
   * serves the worker's calls back into the host meanwhile. `adaptive` lets the spin
   * budget learn from the outcome (for calls, whose answers are often microseconds away).
   */
  block(worker: WorkerSlot, done: () => boolean, deadline: number, adaptive = false): BlockOutcome {
    if (done()) return 'done'
    const slots = worker.channel.slots
    Atomics.add(slots, Slot.HostBlocked, 1) // a count: a wait may nest in a host function
    try {
      return this.blockUntil(worker, done, deadline, adaptive)
    } finally {
      Atomics.sub(slots, Slot.HostBlocked, 1)
      // A call back into the host that raced our unblocking rang no doorbell: serve it now.
      if (worker.reverse.pending) void worker.reverse.serve()
    }
  }

  private blockUntil(worker: WorkerSlot, done: () => boolean, deadline: number, adaptive: boolean): BlockOutcome {
    const slots = worker.channel.slots
    const { parkSliceMillis, spinMicros, minSpinMicros } = this.options.wait
    let budget = adaptive ? this.spin.budgetMillis() : spinMicros / 1000
    let first = adaptive
    for (;;) {
      // Spin: a warm worker answers in about a microsecond. Calls back into the host are
      // served as they come, and each restarts the spin, since more tend to follow.
      let spinEnd = now() + budget
      let answered = false
      for (let polls = 1; ; polls++) {
        if (done()) {
          answered = true
          break
        }
        if ((polls & 31) === 0) {
          if (worker.reverse.pending) {
            worker.reverse.serveBlocked()
            spinEnd = now() + budget
          } else if (now() >= spinEnd) break
        }
      }
      if (first) {
        this.spin.record(answered)
        first = false
      }
      if (answered) return 'done'
      budget = spinMicros / 1000 // after a call back, spin fully
      // Park for a slice; between slices check the deadline and the worker's life. `Wake`
      // is read before the checks, so an event after them ends the wait at once.
      const wake = Atomics.load(slots, Slot.Wake)
      if (done()) return 'done'
      if (worker.reverse.pending) {
        worker.reverse.serveBlocked()
        continue
      }
      if (worker.dead || worker.thread.alive?.() === false || this.bootOverdue(worker)) return done() ? 'done' : 'dead'
      const time = now()
      if (time >= deadline) return 'timeout'
      // A task answer announced but still moving through the port: look again soon.
      const slice = worker.taskAnswerInTransit ? 1 : parkSliceMillis
      Atomics.add(slots, Slot.HostWaits, 1)
      Atomics.wait(slots, Slot.Wake, wake, Math.min(slice, deadline - time))
      Atomics.sub(slots, Slot.HostWaits, 1)
      budget = minSpinMicros / 1000
    }
  }

  /** Call `seq` was not answered in time, or its worker died: throw why. */
  private gaveUp(worker: WorkerSlot, seq: number, call: SyncCall, outcome: 'timeout' | 'dead'): void {
    if (outcome === 'dead') throw this.diedDuring(worker, call)
    const abandoned = worker.abandon(seq, call, 'timeout', this.options.settleGrace)
    if (abandoned === 'answered') return
    if (abandoned === 'dead') throw this.diedDuring(worker, call)
    this.abandoned = true
    worker.log(`runSync('${call.name}') timed out after ${call.timeout} ms`)
    // Still copying its answer past the grace (a getter of the result that never returns):
    // the channel cannot be taken back, so the worker goes.
    if (abandoned === 'busy') this.retire('stuck writing a timed-out answer')
    throw new TimeoutError(`runSync('${call.name}') on ${call.url} timed out after ${call.timeout} ms`, call.timeout)
  }

  /** The error for a call whose worker died; the worker is retired (after its port is read). */
  private diedDuring(worker: WorkerSlot, call: SyncCall): Error {
    const error = worker.crashError(`runSync('${call.name}')`)
    this.retire('died during a call')
    return error
  }

  private bootOverdue(worker: WorkerSlot): boolean {
    return worker.channel.load(Slot.Life) === Life.Booting && now() - worker.startedAt > this.options.startupTimeout
  }

  /** Stops an idle worker of a backend that cannot unref it, so the program can exit. */
  private armIdleTimer(): void {
    if (this.idleTimer !== undefined) return
    const check = (): void => {
      this.idleTimer = undefined
      if (this.closed || this.worker === undefined) return
      const idle = now() - this.lastUsed
      if (idle >= this.options.idleTimeout) this.retire('idle')
      else this.idleTimer = schedule(this.options.backend, check, this.options.idleTimeout - idle)
    }
    this.idleTimer = schedule(this.options.backend, check, this.options.idleTimeout)
  }
}

/** The caller's stack, without anythread's own frames. */
function captureCaller(entry: Function): Error {
  const holder = new Error('caller')
  const capture = (Error as { captureStackTrace?: (target: object, above?: Function) => void }).captureStackTrace
  capture?.(holder, entry)
  // Bun keeps no frames at all when told to cut above a function: take the whole stack.
  return holder.stack?.includes('\n') ? holder : new Error('caller')
}
