/**
 * One worker thread that this thread blocks on: started on first use, replaced when it
 * dies. It carries the blocking call path that the bridge's `runSync` (`sync-caller.ts`)
 * and every portal share: post, wait (`wait.ts`), and turn a timeout, a death or the
 * answer into what the caller sees.
 *
 * Every wait here ends: on the answer, on the call's deadline, on the worker's death
 * hook (which notifies the channel), or on the backend's liveness probe, checked between
 * parks of at most `parkSliceMillis`.
 */
import { BridgeClosedError, DeadlockError, TimeoutError, appendCallerStack } from '../shared/errors.ts'
import type { WaitPolicy } from '../shared/wait-policy.ts'
import { now } from '../shared/wait-policy.ts'
import { AdaptiveSpin } from './adaptive-spin.ts'
import { CallDeadline, block, deadlineAt } from './wait.ts'
import type { BlockOutcome, Deadline } from './wait.ts'
import { WorkerSlot } from './worker-slot.ts'
import type { CallRequest, SlotOptions } from './worker-slot.ts'

export interface BlockingThreadOptions extends SlotOptions {
  readonly wait: WaitPolicy
  /**
   * After a timeout, how long the worker may take to copy an answer that raced the deadline,
   * and how long the next call waits for the worker to take it (ms).
   */
  readonly settleGrace: number
  /**
   * How long a worker may take to start, and a module to load, before the call fails (ms).
   * A call's own `timeout` does not count that time.
   */
  readonly startupTimeout: number
}

/** One blocking call, as a handle hands it over. */
export interface SyncCall extends CallRequest {
  readonly timeout: number
  /** The public function the user called, to cut our frames off the caller's stack. */
  readonly entry: Function
}

export class BlockingThread {
  private current: WorkerSlot | undefined
  private inCall = false
  /** Closed by its owner: a call in flight fails with `BridgeClosedError`, not as a crash. */
  private closed = false
  private readonly spin: AdaptiveSpin

  constructor(
    private readonly options: BlockingThreadOptions,
    /** What to call the owner in errors: 'this bridge' or 'this portal'. */
    private readonly owner: string,
    /** Runs on the host's event loop when a worker of this thread ends. */
    private readonly onExit?: (worker: WorkerSlot) => void,
  ) {
    this.spin = new AdaptiveSpin(options.wait.spinMicros, options.wait.minSpinMicros)
  }

  /** The worker, if one runs. */
  get worker(): WorkerSlot | undefined {
    return this.current
  }

  /** Number of live workers (0 or 1). */
  get threads(): number {
    return this.current === undefined || this.current.dead ? 0 : 1
  }

  /** The live worker, started if there is none (or the last one died). */
  ensure(): WorkerSlot {
    const worker = this.current
    if (worker === undefined || worker.dead) {
      if (worker !== undefined) this.retire('died')
      return this.spawn()
    }
    return worker
  }

  /** Calls an export on the worker and blocks until it settles, times out or dies. */
  call(call: SyncCall, claimWithin?: number): unknown {
    this.assertCanBlock(`runSync('${call.name}')`)
    let worker = this.ensure()
    this.inCall = true
    try {
      const wait = this.spin.plan() > 0 ? 'spinning' : 'parking'
      let seq = worker.post(call, wait)
      if (claimWithin !== undefined && !this.claimed(worker, seq, claimWithin)) {
        // Still busy with the call it timed out on: take this one back, start afresh.
        this.retire('recycled: still busy with a timed-out call', true)
        worker = this.ensure()
        seq = worker.post(call, wait)
      }
      const deadline = new CallDeadline(call.timeout, this.options.startupTimeout, () => worker.starting(seq))
      const outcome = block(worker, () => worker.answered(seq), deadline, this.options.wait, this.spin)
      // Closed from inside this call (a host function, a getter): fail it the same way
      // whether or not the worker got its answer out before it was stopped.
      if (this.closed) throw this.closedDuring(call)
      if (outcome !== 'done') this.gaveUp(worker, seq, call, outcome)
      try {
        return worker.readAnswer(seq, call)
      } catch (error) {
        throw appendCallerStack(error, captureCaller(call.entry))
      }
    } finally {
      this.inCall = false
    }
  }

  /**
   * Whether the worker claims call `seq` within `millis`: its event loop is free, even if a
   * call it timed out on still awaits there. If not, the call is taken back unread: false.
   */
  private claimed(worker: WorkerSlot, seq: number, millis: number): boolean {
    const outcome = block(worker, () => !worker.channel.requestWaiting(seq), deadlineAt(now() + millis), this.options.wait)
    return outcome === 'done' || !worker.channel.withdrawRequest(seq)
  }

  /** Blocks until `done()` holds on `worker`, the deadline passes, or the worker dies. */
  block(worker: WorkerSlot, done: () => boolean, deadline: Deadline): BlockOutcome {
    return block(worker, done, deadline, this.options.wait)
  }

  /**
   * Throws `DeadlockError` if blocking on this worker could never end: this thread is
   * inside a call to it already (unless `nested`: a wait that the worker can answer while
   * that call is in flight), or the worker is itself blocked waiting for this thread (a
   * host function it called with `fromThread.runSync` is running).
   */
  assertCanBlock(what: string, nested = false): void {
    if (this.inCall && !nested) {
      throw new DeadlockError(
        `${what} was called while ${this.owner}'s own sync call is in flight; it could never complete. Make the call after that one returns, from another bridge or portal, or with run() (which does not block)`,
      )
    }
    if (this.current?.reverse.servingBlockedWorker) {
      throw new DeadlockError(
        `${what} was called from ${this.owner}'s own thread: its worker is blocked in fromThread.runSync() until this host function returns, so it could never complete. Use fromThread.run() in the worker (the host then serves it on its event loop), or make the call from another bridge or portal`,
      )
    }
  }

  /**
   * Stops the worker for good. A call in flight (this runs from inside it: a host function
   * the worker called, an argument's getter) ends at once with `BridgeClosedError`.
   */
  close(): void {
    this.closed = true
    this.retire(`${this.owner} closed`)
  }

  /** Stops the worker, if one runs; the next call starts a new one. `stuck`: see `WorkerSlot.retire`. */
  retire(reason: string, stuck = false): void {
    this.current?.retire(reason, stuck)
    this.current = undefined
  }

  private spawn(): WorkerSlot {
    const worker = new WorkerSlot(this.options, (slot) => {
      if (this.current === slot) this.retire('exited')
      this.onExit?.(slot)
    })
    if (this.options.backend.canUnref) worker.thread.unref()
    this.current = worker
    return worker
  }

  /** Call `seq` was not answered in time, or its worker died: throw why. */
  private gaveUp(worker: WorkerSlot, seq: number, call: SyncCall, outcome: Exclude<BlockOutcome, 'done'>): void {
    if (outcome === 'dead') throw this.diedDuring(worker, call)
    const abandoned = worker.abandon(seq, call, 'timeout', this.options.settleGrace)
    if (abandoned === 'answered') return
    if (abandoned === 'dead') throw this.diedDuring(worker, call)
    const { startupTimeout } = this.options
    const error =
      outcome === 'startup'
        ? new TimeoutError(`runSync('${call.name}'): ${call.url} did not finish loading within startupTimeout (${startupTimeout} ms)`, startupTimeout)
        : new TimeoutError(`runSync('${call.name}') on ${call.url} timed out after ${call.timeout} ms`, call.timeout)
    this.options.events.emit('anythread:call:timeout', () => ({
      api: this.options.kind === 'portal' ? ('portal' as const) : ('runSync' as const),
      worker: worker.id,
      name: call.name,
      module: call.url,
    }))
    // Still copying its answer past the grace (a getter of the result that never returns):
    // the channel cannot be taken back, so the worker goes.
    if (abandoned === 'busy') this.retire('recycled: stuck writing a timed-out answer', true)
    throw error
  }

  private closedDuring(call: SyncCall): BridgeClosedError {
    return new BridgeClosedError(`${capitalized(this.owner)} was closed during runSync('${call.name}')`)
  }

  /** The error for a call whose worker died; the worker is retired (after its port is read). */
  private diedDuring(worker: WorkerSlot, call: SyncCall): Error {
    if (this.closed) return this.closedDuring(call)
    const error = worker.crashError(`runSync('${call.name}')`)
    this.retire('died during a call')
    return error
  }
}

const capitalized = (text: string): string => text[0]!.toUpperCase() + text.slice(1)

/** The caller's stack, without anythread's own frames. */
function captureCaller(entry: Function): Error {
  const holder = new Error('caller')
  const capture = (Error as { captureStackTrace?: (target: object, above?: Function) => void }).captureStackTrace
  capture?.(holder, entry)
  // Bun keeps no frames at all when told to cut above a function: take the whole stack.
  return holder.stack?.includes('\n') ? holder : new Error('caller')
}
