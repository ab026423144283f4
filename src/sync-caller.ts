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
}

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
    if (this.inCall) {
      throw new DeadlockError(`runSync('${call.name}') was called while this bridge's own sync call is in flight; it could never complete`)
    }
    const worker = this.ensureWorker()
    this.inCall = true
    try {
      const seq = worker.post(call)
      this.awaitAnswer(worker, seq, call)
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

  close(): void {
    this.closed = true
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer as ReturnType<typeof setTimeout>)
    this.idleTimer = undefined
    this.retire('bridge closed')
  }

  private ensureWorker(): WorkerSlot {
    let worker = this.worker
    if (worker !== undefined && (worker.dead || (this.abandoned && !this.settles(worker)))) {
      // Dead, or still running a call its caller gave up on: start afresh.
      this.retire(worker.dead ? 'died' : 'recycled: a timed-out call did not settle')
      worker = undefined
    }
    return worker ?? this.spawn()
  }

  /** Waits up to `settleGrace` for calls abandoned on `worker` to settle. */
  private settles(worker: WorkerSlot): boolean {
    const slots = worker.channel.slots
    const deadline = now() + this.options.settleGrace
    for (let busy = Atomics.load(slots, Slot.Busy); busy > 0; busy = Atomics.load(slots, Slot.Busy)) {
      const left = deadline - now()
      if (left <= 0 || worker.dead) return false
      Atomics.store(slots, Slot.HostWaits, 1)
      Atomics.wait(slots, Slot.Busy, busy, Math.min(left, this.options.wait.parkSliceMillis))
      Atomics.store(slots, Slot.HostWaits, 0)
    }
    this.abandoned = false
    return true
  }

  private spawn(): WorkerSlot {
    const worker = new WorkerSlot(this.options, (slot) => {
      if (this.worker === slot) this.retire('exited')
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

  /** Blocks until call `seq` is answered; throws on its deadline or its worker's death. */
  private awaitAnswer(worker: WorkerSlot, seq: number, call: SyncCall): void {
    const slots = worker.channel.slots
    if (worker.answered(seq)) return
    Atomics.store(slots, Slot.HostBlocked, 1)
    try {
      this.blockUntilAnswered(worker, seq, call)
    } finally {
      Atomics.store(slots, Slot.HostBlocked, 0)
      // A call back into the host that raced our unblocking rang no doorbell: serve it now.
      if (worker.reverse.pending) void worker.reverse.serve()
    }
  }

  private blockUntilAnswered(worker: WorkerSlot, seq: number, call: SyncCall): void {
    const slots = worker.channel.slots
    const start = now()
    const deadline = start + call.timeout
    const { parkSliceMillis } = this.options.wait
    let budget = this.spin.budgetMillis()
    let first = true
    for (;;) {
      // Spin: a warm worker answers in about a microsecond. Calls back into the host are
      // served as they come, and each restarts the spin, since more tend to follow.
      let spinEnd = now() + budget
      let answered = false
      for (let polls = 1; ; polls++) {
        if (worker.answered(seq)) {
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
        budget = this.options.wait.spinMicros / 1000 // after a call back, spin fully
        first = false
      }
      if (answered) return
      // Park for a slice; between slices check the deadline and the worker's life. `Wake`
      // is read before the checks, so an event after them ends the wait at once.
      const wake = Atomics.load(slots, Slot.Wake)
      if (worker.answered(seq)) return
      if (worker.reverse.pending) {
        worker.reverse.serveBlocked()
        continue
      }
      if (worker.dead || worker.thread.alive?.() === false || this.bootOverdue(worker)) {
        if (worker.answered(seq)) return
        throw this.diedDuring(worker, call)
      }
      const time = now()
      if (time < deadline) {
        Atomics.store(slots, Slot.HostWaits, 1)
        Atomics.wait(slots, Slot.Wake, wake, Math.min(parkSliceMillis, deadline - time))
        Atomics.store(slots, Slot.HostWaits, 0)
        budget = this.options.wait.minSpinMicros / 1000
        continue
      }
      const outcome = worker.abandon(seq, call, 'timeout', this.options.settleGrace)
      if (outcome === 'answered') return
      if (outcome === 'dead') throw this.diedDuring(worker, call)
      this.abandoned = true
      worker.log(`runSync('${call.name}') timed out after ${call.timeout} ms`)
      // Still copying its answer past the grace (a getter of the result that never returns):
      // the channel cannot be taken back, so the worker goes.
      if (outcome === 'busy') this.retire('stuck writing a timed-out answer')
      throw new TimeoutError(`runSync('${call.name}') on ${call.url} timed out after ${call.timeout} ms`, call.timeout)
    }
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
