/**
 * The host side of the channel: one worker serving `runSync` calls, started on the first
 * call and replaced when it dies or is stuck in a call its caller gave up on.
 *
 * Every wait here ends: on the answer, on the call's deadline, on the worker's death
 * hook (which notifies the channel), or on the backend's liveness probe, checked between
 * parks of at most `parkSliceMillis`.
 */
import type { Backend, BootData, ExitInfo, WorkerThread } from './backend.ts'
import { Channel, DOORBELL, Flag, Inbox, Life, Phase, Slot, WorkerIdle, createChannelBuffer, nextSeq, stateOf } from './channel.ts'
import type { PortMessage } from './channel.ts'
import { DeadlockError, ModuleLoadError, TimeoutError, WorkerCrashedError, appendCallerStack, reviveOwnError } from './errors.ts'
import type { ModuleErrorDetail, Request } from './serve.ts'
import { AdaptiveSpin, now } from './wait.ts'
import type { WaitPolicy } from './wait.ts'

export interface SyncCallerOptions {
  readonly backend: Backend
  readonly wait: WaitPolicy
  readonly maxInlineBytes: number
  /** Stop a worker idle this long (ms); Infinity keeps it. */
  readonly idleTimeout: number
  /** How long the next call waits for a timed-out call to settle before replacing its worker (ms). */
  readonly settleGrace: number
  /** How long a starting worker may take before its call fails (ms). */
  readonly startupTimeout: number
}

/** One call, as the bridge hands it over. */
export interface SyncCall {
  readonly moduleId: number
  readonly url: string
  readonly name: string
  readonly args: unknown[]
  readonly timeout: number
  readonly transfer: readonly object[] | undefined
  /** The public function the user called, to cut our frames off the caller's stack. */
  readonly entry: Function
}

/** How long the host waits for a port payload that its state already announced. */
const PORT_PATIENCE_MILLIS = 5_000

const argumentLabel = (index: number): string => (index >= 3 ? `Argument ${index - 2}` : 'The call')

/** One worker and its channel. A new one replaces it after a death or a recycle. */
class WorkerSlot {
  readonly channel: Channel
  readonly inbox: Inbox
  readonly announced = new Set<number>()
  thread!: WorkerThread
  exit: ExitInfo | undefined
  crash: unknown
  readonly startedAt = now()

  constructor(
    buffer: SharedArrayBuffer,
    readonly port: MessagePort,
    backend: Backend,
  ) {
    this.channel = new Channel(buffer)
    this.inbox = new Inbox(port, backend.receiveMessageSync, (message: PortMessage) => {
      if (typeof message === 'object' && message !== null && message.t === 'crash') this.crash = message.error
    })
  }

  get dead(): boolean {
    return this.exit !== undefined || this.channel.load(Slot.Life) === Life.Dead
  }
}

export class SyncCaller {
  private worker: WorkerSlot | undefined
  private seq = 0
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
    const channel = worker.channel
    const seq = (this.seq = nextSeq(this.seq))
    const request: Request = [call.moduleId, worker.announced.has(call.moduleId) ? undefined : call.url, call.name, ...call.args]
    // Throws (naming the argument) before anything is published: the worker is unharmed.
    const flags = channel.writePayload(seq, request, this.options.maxInlineBytes, worker.port, argumentLabel, call.transfer)
    channel.store(Slot.Flags, flags)
    channel.publish(stateOf(seq, Phase.Request))
    if (channel.load(Slot.WorkerIdle) === WorkerIdle.Parked) worker.port.postMessage(DOORBELL)
    this.inCall = true
    try {
      return this.awaitAnswer(worker, seq, call)
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
    this.retire()
  }

  private ensureWorker(): WorkerSlot {
    let worker = this.worker
    if (worker !== undefined && (worker.dead || (this.abandoned && !this.settles(worker)))) {
      // Dead, or still running a call its caller gave up on: start afresh.
      this.retire()
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
      Atomics.wait(slots, Slot.Busy, busy, Math.min(left, this.options.wait.parkSliceMillis))
    }
    this.abandoned = false
    return true
  }

  private spawn(): WorkerSlot {
    const { backend, maxInlineBytes, wait } = this.options
    const buffer = createChannelBuffer(maxInlineBytes)
    const { port1, port2 } = new MessageChannel()
    const boot: BootData = { buffer, port: port2, workerSpinMicros: wait.workerSpinMicros, maxInlineBytes }
    const worker = new WorkerSlot(buffer, port1, backend)
    worker.thread = backend.spawn(boot, (info) => {
      worker.exit = info
      if (this.worker === worker) this.retire()
    })
    if (backend.canUnref) worker.thread.unref()
    this.worker = worker
    this.abandoned = false
    return worker
  }

  /** Stops the current worker, if any. */
  private retire(): void {
    const worker = this.worker
    if (worker === undefined) return
    this.worker = undefined
    worker.thread.terminate()
    worker.port.close()
  }

  private awaitAnswer(worker: WorkerSlot, seq: number, call: SyncCall): unknown {
    const { channel } = worker
    const slots = channel.slots
    const done = stateOf(seq, Phase.Response)
    const start = now()
    const deadline = start + call.timeout
    let state = Atomics.load(slots, Slot.State)
    if (state !== done) {
      // Spin: a warm worker answers in about a microsecond.
      const spinEnd = start + this.spin.budgetMillis()
      let polls = 0
      while (state !== done) {
        if ((++polls & 31) === 0 && now() >= spinEnd) break
        state = Atomics.load(slots, Slot.State)
      }
      // Park in slices; between them check the deadline and the worker's life.
      const { parkSliceMillis } = this.options.wait
      while (state !== done) {
        if (worker.dead || worker.thread.alive?.() === false || this.bootOverdue(worker)) {
          state = Atomics.load(slots, Slot.State)
          if (state === done) break
          throw this.crashed(worker, call)
        }
        const time = now()
        if (time >= deadline) {
          if (this.abandon(worker, seq)) {
            throw new TimeoutError(`runSync('${call.name}') on ${call.url} timed out after ${call.timeout} ms`, call.timeout)
          }
        } else {
          Atomics.wait(slots, Slot.State, state, Math.min(parkSliceMillis, deadline - time))
        }
        state = Atomics.load(slots, Slot.State)
      }
    }
    this.spin.record(now() - start)
    worker.announced.add(call.moduleId)
    return this.readAnswer(worker, seq, call)
  }

  private bootOverdue(worker: WorkerSlot): boolean {
    return worker.channel.load(Slot.Life) === Life.Booting && now() - worker.startedAt > this.options.startupTimeout
  }

  /**
   * Gives up on call `seq` at its deadline. Returns false if its answer arrived in the
   * meantime (then the caller takes it).
   */
  private abandon(worker: WorkerSlot, seq: number): boolean {
    const { channel } = worker
    for (;;) {
      const state = channel.load(Slot.State)
      if (state === stateOf(seq, Phase.Response)) return false
      if (state === stateOf(seq, Phase.Request) || state === stateOf(seq, Phase.Running)) {
        if (!channel.transition(state, stateOf(seq, Phase.Idle))) continue
        this.abandoned = true
        if (state === stateOf(seq, Phase.Running)) {
          channel.store(Slot.Cancel, seq)
          worker.port.postMessage({ t: 'cancel', seq, reason: 'timeout' } satisfies PortMessage)
        }
        return true
      }
      // Claimed or Responding: the worker is copying the payload; it takes microseconds.
      if (worker.dead) return true
      Atomics.wait(channel.slots, Slot.State, state, 1)
    }
  }

  private readAnswer(worker: WorkerSlot, seq: number, call: SyncCall): unknown {
    const { channel } = worker
    const flags = channel.load(Slot.Flags)
    const [value] = channel.readPayload(seq, flags, worker.inbox) ?? this.awaitPortPayload(worker, seq)
    const kind = flags & ~Flag.ViaPort
    if (kind === Flag.Ok) return value
    if (kind === Flag.ModuleError) {
      const detail = value as ModuleErrorDetail
      worker.announced.delete(call.moduleId)
      throw new ModuleLoadError(`${detail.message}`, call.url, detail.cause === undefined ? undefined : { cause: detail.cause })
    }
    throw appendCallerStack(reviveOwnError(value), captureCaller(call.entry))
  }

  /** A payload sent through the port may trail the state that announced it: wait a little. */
  private awaitPortPayload(worker: WorkerSlot, seq: number): unknown[] {
    const deadline = now() + PORT_PATIENCE_MILLIS
    const nap = new Int32Array(new SharedArrayBuffer(4))
    do {
      Atomics.wait(nap, 0, 0, 1)
      const values = worker.inbox.takePayload(seq)
      if (values !== undefined) return values
    } while (now() < deadline && !worker.dead)
    throw new WorkerCrashedError(`The answer of call ${seq} never arrived through the worker's port`)
  }

  private crashed(worker: WorkerSlot, call: SyncCall): WorkerCrashedError {
    worker.inbox.drain()
    const slotCode = worker.channel.load(Slot.ExitCode)
    const exitCode = worker.exit?.exitCode ?? (slotCode === -1 ? undefined : slotCode)
    const cause = worker.crash ?? worker.exit?.error
    const booting = worker.channel.load(Slot.Life) === Life.Booting
    this.retire()
    const how = booting ? 'failed to start' : 'died'
    const code = exitCode === undefined ? '' : ` (exit code ${exitCode})`
    const reason = cause instanceof Error ? `: ${cause.message}` : ''
    return new WorkerCrashedError(`The worker ${how} during runSync('${call.name}')${code}${reason}`, {
      cause,
      ...(exitCode === undefined ? {} : { exitCode }),
    })
  }

  /** Stops an idle worker of a backend that cannot unref it, so the program can exit. */
  private armIdleTimer(): void {
    if (this.idleTimer !== undefined) return
    const check = (): void => {
      this.idleTimer = undefined
      if (this.closed || this.worker === undefined) return
      const idle = now() - this.lastUsed
      if (idle >= this.options.idleTimeout) this.retire()
      else this.schedule(check, this.options.idleTimeout - idle)
    }
    this.schedule(check, this.options.idleTimeout)
  }

  private schedule(fn: () => void, delay: number): void {
    const timer = setTimeout(fn, delay)
    this.idleTimer = timer
    const { backend } = this.options
    if (backend.unrefTimer) backend.unrefTimer(timer)
    else (timer as { unref?: () => void }).unref?.()
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
