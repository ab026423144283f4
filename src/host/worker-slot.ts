/**
 * One worker thread and its channel, as the host drives it: start it, post a call, read
 * the answer, give up on a call, notice its death. The sync caller and the pool both
 * build on this; only how they wait differs.
 */
import type { Backend, BootData, ExitInfo, WorkerThread } from '../shared/backend.ts'
import { ModuleLoadError, WorkerCrashedError, reviveOwnError } from '../shared/errors.ts'
import type { Events, WorkerKind } from '../shared/events.ts'
import { now } from '../shared/wait-policy.ts'
import type { WorkerWaitPolicy } from '../shared/wait-policy.ts'
import { Channel, createChannelBuffer } from '../wire/channel.ts'
import { Inbox, postValues, unpackValues } from '../wire/port.ts'
import { DOORBELL, Flag, PORT_PATIENCE_MILLIS, RequestSlots, ResponseSlots, nextSeq } from '../wire/protocol.ts'
import type { ModuleErrorDetail, Packed, PortMessage, Request } from '../wire/protocol.ts'
import { createReverseBuffer } from '../wire/reverse-channel.ts'
import { HeapReport, createHeapReportBuffer } from '../wire/heap-report.ts'
import { ReverseServer } from './reverse-server.ts'
import type { HostFunctions } from './reverse-server.ts'

/** What a call carries to the worker. */
export interface CallRequest {
  readonly moduleId: number
  readonly url: string
  readonly name: string
  readonly args: unknown[]
  readonly transfer: readonly object[] | undefined
}

export interface SlotOptions {
  readonly backend: Backend
  /** What `fromThread` calls in the worker reach. */
  readonly host: HostFunctions
  readonly maxInlineBytes: number
  /** The worker's part of the wait policy (a whole `WaitPolicy` will do). */
  readonly workerWait: WorkerWaitPolicy
  /** Receives the answers of portal tasks (`postTask`), as they are read from the port. */
  readonly onTaskAnswer?: (id: number, kind: number, values: unknown[]) => void
  /** Counts threads stopped in code the runtime cannot interrupt (see `Backend.canStopSyncCode`). */
  readonly runaways?: { count: number }
  /** The bridge's `workerData`, handed to each thread. */
  readonly workerData?: unknown
  /** Whether the worker reports its heap in use with each answer (`maxWorkerMemoryMB`). */
  readonly measureMemory?: boolean
  /** Where the bridge's `anythread:*` events go. */
  readonly events: Events
  /** What the worker serves, for events. */
  readonly kind: WorkerKind
}

const argumentLabel = (index: number): string => (index >= 3 ? `Argument ${index - 2}` : 'The call')

/**
 * The outcome of giving up on a call: done; too late (the answer is there); the worker
 * died; or the worker is still busy copying the payload (it may be running a getter of
 * the result) after the patience given.
 */
export type Abandon = 'abandoned' | 'answered' | 'dead' | 'busy'

let lastId = 0

export class WorkerSlot {
  /** A number for debug logs. */
  readonly id = ++lastId
  readonly channel: Channel
  readonly inbox: Inbox
  readonly port: MessagePort
  readonly thread: WorkerThread
  /** Serves the worker's calls back into the host (`fromThread`). */
  readonly reverse: ReverseServer
  private readonly doorbell: MessagePort
  /** Modules this worker has been told the URL of. */
  readonly announced = new Set<number>()
  readonly startedAt = now()
  exit: ExitInfo | undefined
  crash: unknown
  /** Where the worker reports its heap in use with each answer (`measureMemory`). */
  private readonly heap: HeapReport | undefined
  /** The thread reported its death before it served: it never started. */
  private crashedBooting = false
  private seq = 0
  private retired = false

  constructor(
    private readonly options: SlotOptions,
    onExit: (slot: WorkerSlot, info: ExitInfo) => void,
  ) {
    const { backend, maxInlineBytes, workerWait } = options
    const buffer = createChannelBuffer(maxInlineBytes)
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.channel = new Channel(buffer)
    this.inbox = new Inbox(port1, backend.receiveMessageSync, (message: PortMessage) => {
      if (typeof message !== 'object' || message === null) return
      if (message.t === 'crash') {
        this.crash = message.error
        this.crashedBooting = message.booting === true
      } else if (message.t === 'done') this.taskAnswered(message.id, message.kind, message.packed)
    })
    const reverse = createReverseBuffer(maxInlineBytes)
    this.reverse = new ReverseServer(reverse, options.host, maxInlineBytes)
    // Calls back into the host ring here while its event loop runs; the listener must not
    // keep the process alive.
    const doorbell = new MessageChannel()
    this.doorbell = doorbell.port1
    this.doorbell.onmessage = () => void this.reverse.serve()
    ;(this.doorbell as { unref?: () => void }).unref?.()
    const memory = options.measureMemory ? createHeapReportBuffer() : undefined
    this.heap = memory === undefined ? undefined : new HeapReport(memory)
    const boot: BootData = {
      buffer,
      port: port2,
      reverse,
      reverseDoorbell: doorbell.port2,
      wait: { workerSpinMicros: workerWait.workerSpinMicros, workerPickupMicros: workerWait.workerPickupMicros },
      maxInlineBytes,
      ...(options.workerData !== undefined && { workerData: options.workerData }),
      ...(memory !== undefined && { memory }),
    }
    this.thread = backend.spawn(boot, (info) => {
      this.exit = info
      if (!this.retired) this.ended('exited', false, false)
      onExit(this, info)
    })
    options.events.emit('anythread:worker:start', () => ({ worker: this.id, kind: options.kind }))
  }

  private readyNoticed = false
  private exitPublished = false

  /** Publishes `anythread:worker:ready` the first time the host sees the worker booted. */
  noticeReady(): void {
    if (this.readyNoticed || this.channel.booting) return
    this.readyNoticed = true
    this.options.events.emit('anythread:worker:ready', () => ({ worker: this.id, kind: this.options.kind, startupMs: now() - this.startedAt }))
  }

  /** Publishes `anythread:worker:exit` (and `recycle`), once. */
  private ended(reason: string, stoppedByHost: boolean, runaway: boolean): void {
    if (this.exitPublished) return
    this.exitPublished = true
    const { events, kind } = this.options
    if (reason.startsWith('recycled: ')) events.emit('anythread:worker:recycle', () => ({ worker: this.id, kind, reason }))
    events.emit('anythread:worker:exit', () => {
      const exitCode = this.exit?.exitCode ?? this.channel.exitCode
      const error = this.crash ?? this.exit?.error
      return {
        worker: this.id,
        kind,
        reason,
        stoppedByHost,
        runaway,
        ...(exitCode !== undefined && { exitCode }),
        ...(error !== undefined && { error }),
      }
    })
  }

  /** Ended: exited, its death hook ran, or the host stopped it. */
  get dead(): boolean {
    return this.retired || this.exit !== undefined || this.channel.dead
  }

  /** Dead, or the runtime's synchronous liveness probe says so (see `WorkerThread.alive`). */
  get gone(): boolean {
    return this.dead || this.thread.alive?.() === false
  }

  /**
   * The worker's JavaScript heap in use, in MiB, as it reported it with its last answer;
   * undefined if not measured (no `measureMemory`, no answer yet, or the runtime cannot tell).
   */
  get heapUsedMiB(): number | undefined {
    return this.heap?.mebibytes
  }

  /** Whether the thread has not finished booting yet. */
  get booting(): boolean {
    return this.channel.booting
  }

  /** Whether call `seq` waits on start-up: the thread booting, or the call's module loading. */
  starting(seq: number): boolean {
    return this.channel.starting(seq)
  }

  /**
   * Publishes a call and rings the doorbell if the worker is parked. Returns its seq.
   * `blocking`: the caller blocks on the answer, spinning for it or not (see `Flag.Blocking`
   * and `Flag.Spinning`). Throws (naming the argument) before anything is published if an
   * argument cannot be cloned: the worker is unharmed.
   */
  post(call: CallRequest, blocking?: 'spinning' | 'parking'): number {
    const channel = this.channel
    const seq = (this.seq = nextSeq(this.seq))
    const request: Request = [call.moduleId, this.announced.has(call.moduleId) ? undefined : call.url, call.name, ...call.args]
    const flags = channel.writePayload(RequestSlots, seq, request, this.options.maxInlineBytes, this.port, argumentLabel, call.transfer)
    const wait = blocking === undefined ? 0 : blocking === 'spinning' ? Flag.Blocking | Flag.Spinning : Flag.Blocking
    this.wokeWorker = channel.publishRequest(seq, flags | wait)
    if (this.wokeWorker) this.port.postMessage(DOORBELL)
    return seq
  }

  /** Whether the last `post` had to ring the doorbell: the worker was parked. */
  wokeWorker = false

  /** Whether the worker has answered call `seq`. */
  answered(seq: number): boolean {
    return this.channel.answered(seq)
  }

  /**
   * Whether the answer of call `seq` can be read without waiting: it is inline, or its
   * port message has arrived (a runtime may still be moving it between threads).
   */
  answerArrived(seq: number): boolean {
    if ((this.channel.responseFlags & Flag.ViaPort) === 0) return true
    return this.inbox.hasPayload(seq)
  }

  /**
   * Reads the answer of call `seq`: returns its value or throws its error (the worker's
   * own error, or `ModuleLoadError`). Errors get no caller frames here.
   */
  readAnswer(seq: number, call: CallRequest): unknown {
    const channel = this.channel
    channel.markRead(seq)
    const flags = channel.responseFlags
    const [value] = channel.readPayload(ResponseSlots, seq, this.inbox) ?? this.awaitPortPayload(seq)
    this.noticeReady()
    this.announced.add(call.moduleId)
    const kind = flags & ~Flag.ViaPort
    if (kind === Flag.ModuleError) this.announced.delete(call.moduleId)
    return answerValue(kind, value, call.url)
  }

  /** Portal task answers read so far; the channel counts those sent. */
  private taskAnswers = 0

  /** Whether a task answer has been sent that this side has not read yet. */
  get taskAnswerInTransit(): boolean {
    return this.channel.taskAnswersSent !== this.taskAnswers
  }

  /**
   * Sends portal task `id` through the port: it runs on the worker's event loop beside
   * any other call. Throws (naming the argument) if an argument cannot be cloned.
   */
  postTask(id: number, call: CallRequest): void {
    const request: Request = [call.moduleId, call.url, call.name, ...call.args]
    postValues(this.port, { t: 'task', id }, request, this.options.maxInlineBytes, argumentLabel, call.transfer)
  }

  /** Cancels portal task `id` on the worker: its `currentSignal()` aborts. */
  cancelTask(id: number): void {
    if (!this.retired) this.port.postMessage({ t: 'cancel', seq: -id, reason: 'abort' } satisfies PortMessage)
  }

  private taskAnswered(id: number, kind: number, packed: Packed): void {
    this.taskAnswers++
    this.noticeReady()
    let values: unknown[]
    try {
      values = unpackValues(packed)
    } catch (error) {
      kind = Flag.Threw
      values = [error]
    }
    this.options.onTaskAnswer?.(id, kind, values)
  }

  /**
   * Gives up on call `seq`: the worker drops its late answer and sees the cancellation
   * (`checkCancelled()`, `currentSignal()`). Returns 'answered' if the answer won the race.
   * While the worker copies the payload (Claimed, Responding) the call cannot be taken
   * back; this waits for that up to `patience` ms, then answers 'busy'.
   */
  abandon(seq: number, call: CallRequest, reason: 'timeout' | 'abort', patience: number): Abandon {
    const until = now() + patience
    for (;;) {
      const outcome = this.channel.takeBack(seq)
      if (outcome === 'answered') return 'answered'
      if (outcome === 'while-running') {
        this.announced.add(call.moduleId) // the worker has read the URL
        this.port.postMessage({ t: 'cancel', seq, reason } satisfies PortMessage)
      }
      if (outcome !== 'copying') return 'abandoned'
      // Claimed or Responding: the worker is copying the payload; usually microseconds.
      if (this.gone) return 'dead'
      if (now() >= until) return 'busy'
      this.channel.napOnState(1) // not notified: polls each millisecond
    }
  }

  /** The error for a call this worker owed when it died. */
  crashError(what: string): WorkerCrashedError {
    this.inbox.drain()
    // No exit event yet (the host was blocked) and no death hook ran: ask the runtime.
    const vanished = this.exit === undefined && !this.channel.dead ? this.thread.vanished?.() : undefined
    const exitCode = this.exit?.exitCode ?? this.channel.exitCode ?? vanished?.exitCode
    const cause = this.crash ?? this.exit?.error ?? vanished?.error
    const how = this.booting || this.crashedBooting ? 'failed to start' : 'died'
    const code = exitCode === undefined ? '' : ` (exit code ${exitCode})`
    const reason = cause instanceof Error ? `: ${cause.message}` : ''
    return new WorkerCrashedError(`The worker ${how} during ${what}${code}${reason}`, {
      cause,
      ...(exitCode === undefined ? {} : { exitCode }),
    })
  }

  /**
   * Stops the thread, saying why in its exit event (a reason starting `recycled: ` is also
   * a recycle event). Safe to call twice. `stuck`: it is running code that ignores
   * cancellation, which some runtimes cannot interrupt.
   */
  retire(reason: string, stuck = false): void {
    if (this.retired) return
    const stoppedByHost = !this.dead // it may have died already, the host only tidies up
    this.retired = true
    const runaway = stuck && this.options.backend.canStopSyncCode === false
    if (runaway && this.options.runaways !== undefined) this.options.runaways.count++
    this.ended(reason, stoppedByHost, runaway)
    this.thread.terminate()
    this.port.close()
    this.doorbell.close()
    // Wake whatever still waits on this channel (a pool's or portal's waitAsync): it must
    // see the worker gone rather than wait forever.
    this.channel.wakeAll()
  }

  /** A payload sent through the port may trail the state that announced it: wait a little. */
  private awaitPortPayload(seq: number): unknown[] {
    const deadline = now() + PORT_PATIENCE_MILLIS
    do {
      this.channel.napOnState(1) // polls: the port rings no bell here
      const values = this.inbox.takePayload(seq)
      if (values !== undefined) return values
    } while (now() < deadline && !this.dead)
    throw new WorkerCrashedError(`The answer of call ${seq} never arrived through the worker's port`)
  }
}

/**
 * What an answer of kind `kind` (a `Flag`) means to the caller: the value, or the error
 * to throw (the worker's own, or `ModuleLoadError` for module `url`).
 */
export function answerValue(kind: number, value: unknown, url: string): unknown {
  if (kind === Flag.Ok) return value
  if (kind === Flag.ModuleError) {
    const detail = value as ModuleErrorDetail
    throw new ModuleLoadError(detail.message, url, detail.cause === undefined ? undefined : { cause: detail.cause })
  }
  throw reviveOwnError(value)
}
