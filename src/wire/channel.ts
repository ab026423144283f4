/**
 * The call channel: one growable SharedArrayBuffer shared by a host and its worker (layout
 * and state machine in `protocol.ts`). `Channel` owns its header: every read, write and
 * wait on a header slot is a method here, named for what it means to the side that calls
 * it, so the layout and the notify rules can change in this one file.
 *
 * Values are encoded straight into the data region by the codec. A value the codec cannot
 * carry (platform objects, transfer lists, payloads over `maxInlineBytes`) travels through
 * the control port as a structured-clone message instead, and the flags say so.
 */
import { CodecFallback, decodeFrom, encodeInto, liftCallbacks } from './codec/index.ts'
import { explainCloneFailure } from './port.ts'
import type { Inbox } from './port.ts'
import { isBooting, isDead, markDead, wakeAll } from './life.ts'
import { Flag, HEADER_BYTES, Life, Phase, Slot, WorkerIdle, phaseOf, seqOf, stateOf } from './protocol.ts'
import type { PayloadSlots, PortMessage } from './protocol.ts'

// Captured when this module loads, before any worker module runs on the thread: a module
// that replaces `Atomics` methods cannot break the channel.
const { add, compareExchange, exchange, load, notify, store, sub, wait, waitAsync } = Atomics

const INITIAL_BYTES = 64 * 1024

/** Allocates a channel buffer able to grow to carry `maxInlineBytes`. */
export function createChannelBuffer(maxInlineBytes: number): SharedArrayBuffer {
  const max = HEADER_BYTES + maxInlineBytes
  const buffer = new SharedArrayBuffer(Math.min(HEADER_BYTES + INITIAL_BYTES, max), { maxByteLength: max })
  const slots = new Int32Array(buffer, 0, HEADER_BYTES / 4)
  slots[Slot.WorkerIdle] = WorkerIdle.Parked
  slots[Slot.ExitCode] = -1
  return buffer
}

/**
 * How giving up on a call went: taken back before it ran or while it ran (the worker then
 * sees the cancellation), too late (the answer is there), or not yet possible (the worker
 * is copying a payload: try again shortly).
 */
export type TakeBack = 'before-run' | 'while-running' | 'answered' | 'copying'

/** Both ends of the call channel. */
export class Channel {
  private readonly slots: Int32Array
  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer, 0, HEADER_BYTES / 4)
  }

  // ── Life: written by the worker, read by both ──

  get booting(): boolean {
    return isBooting(this.slots)
  }

  get dead(): boolean {
    return isDead(this.slots)
  }

  /** The exit code the worker's death hook recorded, if any. */
  get exitCode(): number | undefined {
    const code = load(this.slots, Slot.ExitCode)
    return code === -1 ? undefined : code
  }

  /** Worker: booted; a waiting call's deadline starts now. */
  markReady(): void {
    store(this.slots, Slot.Life, Life.Ready)
    this.wakeHost()
  }

  /** Worker, from its death hook: records the exit and wakes whatever waits. Once. */
  markDead(exitCode: number | undefined): boolean {
    return markDead(this.slots, exitCode)
  }

  // ── Calls: the host's side ──

  /**
   * Host: publishes request `seq` (its payload written, `flags` its `Flag.ViaPort` bit).
   * Returns true if the worker is parked and needs a doorbell.
   */
  publishRequest(seq: number, flags: number): boolean {
    const slots = this.slots
    store(slots, Slot.RequestFlags, flags)
    // `Cancel` is left alone: a call abandoned while it ran may still run (awaiting, or in
    // sync code that polls checkCancelled()); the worker clears it when that call settles.
    store(slots, Slot.State, stateOf(seq, Phase.Request))
    return load(slots, Slot.WorkerIdle) === WorkerIdle.Parked
  }

  /** Host: whether call `seq` has been answered. */
  answered(seq: number): boolean {
    return load(this.slots, Slot.State) === stateOf(seq, Phase.Response)
  }

  /** Host: starts reading the answer of `seq`, which tells the worker this thread runs. */
  markRead(seq: number): void {
    store(this.slots, Slot.AnswerRead, seq)
  }

  /** Host: whether request `seq` is still waiting to be claimed. */
  requestWaiting(seq: number): boolean {
    return load(this.slots, Slot.State) === stateOf(seq, Phase.Request)
  }

  /** Host: takes back request `seq` if no worker claimed it yet; false if one did. */
  withdrawRequest(seq: number): boolean {
    const waiting = stateOf(seq, Phase.Request)
    return compareExchange(this.slots, Slot.State, waiting, stateOf(seq, Phase.Idle)) === waiting
  }

  /** Host: the response's `Flag` bits. */
  get responseFlags(): number {
    return load(this.slots, Slot.ResponseFlags)
  }

  /** Host: whether call `seq` waits on start-up (the thread booting, or its module loading). */
  starting(seq: number): boolean {
    return this.booting || load(this.slots, Slot.Loading) === seq
  }

  /** Calls the worker has claimed and not settled (including abandoned ones). */
  get busy(): number {
    return load(this.slots, Slot.Busy)
  }

  /**
   * Host: gives up on call `seq`, so the worker drops its late answer. A call taken back
   * while running is marked cancelled for `checkCancelled()`.
   */
  takeBack(seq: number): TakeBack {
    for (;;) {
      const state = load(this.slots, Slot.State)
      if (state === stateOf(seq, Phase.Response)) return 'answered'
      const running = state === stateOf(seq, Phase.Running)
      if (!running && state !== stateOf(seq, Phase.Request)) return 'copying' // Claimed or Responding
      if (compareExchange(this.slots, Slot.State, state, stateOf(seq, Phase.Idle)) !== state) continue
      if (!running) return 'before-run'
      store(this.slots, Slot.Cancel, seq)
      return 'while-running'
    }
  }

  /** Host: sleeps up to `millis` or until the state word changes (it is not notified: a poll). */
  napOnState(millis: number): void {
    wait(this.slots, Slot.State, load(this.slots, Slot.State), millis)
  }

  /** Host: portal task answers the worker has sent through the port. */
  get taskAnswersSent(): number {
    return load(this.slots, Slot.TaskAnswers)
  }

  // ── Waiting: the host's side ──

  /** The event count: read it before checking, then wait on it, and no event is missed. */
  get wakeCount(): number {
    return load(this.slots, Slot.Wake)
  }

  /** Host: blocks up to `millis` while the event count is still `wake`. */
  parkOnWake(wake: number, millis: number): void {
    add(this.slots, Slot.HostWaits, 1)
    wait(this.slots, Slot.Wake, wake, millis)
    sub(this.slots, Slot.HostWaits, 1)
  }

  /** Host: resolves once the event count moves past `wake`; undefined if it already has. */
  wakeAsync(wake: number): Promise<unknown> | undefined {
    const waiting = waitAsync(this.slots, Slot.Wake, wake)
    return waiting.async ? waiting.value : undefined
  }

  /** Host: resolves once the busy count moves from `busy`, or after `millis`. */
  busyAsync(busy: number, millis: number): Promise<unknown> | undefined {
    const waiting = waitAsync(this.slots, Slot.Busy, busy, millis)
    return waiting.async ? waiting.value : undefined
  }

  /**
   * Host: while held (a count), the worker notifies every event, for waiters that do not
   * announce themselves each time (`waitAsync` watchers of a pool or a portal).
   */
  holdNotify(held: boolean): void {
    if (held) add(this.slots, Slot.HostWaits, 1)
    else sub(this.slots, Slot.HostWaits, 1)
  }

  /** Host: counts a blocking wait in `runSync` (nested waits count twice). */
  hostBlocked(blocked: boolean): void {
    if (blocked) add(this.slots, Slot.HostBlocked, 1)
    else sub(this.slots, Slot.HostBlocked, 1)
  }

  /** Bumps the event count and wakes every waiter: the worker is gone or being stopped. */
  wakeAll(): void {
    wakeAll(this.slots)
  }

  // ── Calls: the worker's side ──

  /** Worker: claims a published request; returns its seq, or 0 if there is none. */
  claimRequest(): number {
    const state = load(this.slots, Slot.State)
    if (phaseOf(state) !== Phase.Request) return 0
    const seq = seqOf(state)
    return compareExchange(this.slots, Slot.State, state, stateOf(seq, Phase.Claimed)) === state ? seq : 0
  }

  /** Worker: whether the host has started to read the answer of `seq`. */
  answerRead(seq: number): boolean {
    return load(this.slots, Slot.AnswerRead) === seq
  }

  /** Worker: how the caller of the claimed request waits for its answer (`Flag.Blocking`, `Flag.Spinning`). */
  get requestWait(): number {
    return load(this.slots, Slot.RequestFlags) & (Flag.Blocking | Flag.Spinning)
  }

  /** Worker: whether a request waits to be claimed. */
  get requestPending(): boolean {
    return phaseOf(load(this.slots, Slot.State)) === Phase.Request
  }

  /** Worker: counts a claimed call as unsettled. */
  callStarted(): void {
    add(this.slots, Slot.Busy, 1)
  }

  /** Worker: the request of `seq` is read; the host may now take the call back. */
  markRunning(seq: number): void {
    store(this.slots, Slot.State, stateOf(seq, Phase.Running))
  }

  /**
   * Worker: call `seq` settled; wakes a host waiting for calls to settle, and forgets the
   * cancellation of `seq`, so a seq reused after wrap-around is not born cancelled.
   */
  callSettled(seq: number): void {
    compareExchange(this.slots, Slot.Cancel, seq, 0)
    sub(this.slots, Slot.Busy, 1)
    if (load(this.slots, Slot.HostWaits) !== 0) notify(this.slots, Slot.Busy)
  }

  /** Worker: `Awake` while it polls for requests, `Parked` once it needs a doorbell. */
  setIdle(idle: (typeof WorkerIdle)[keyof typeof WorkerIdle]): void {
    store(this.slots, Slot.WorkerIdle, idle)
  }

  /** Worker: loading the module of call `seq` (0: done). The host stops the call's clock meanwhile, and bounds it by startupTimeout. */
  setLoading(seq: number): void {
    // Wake the host either way: its deadline stops (or restarts) with the loading.
    if (exchange(this.slots, Slot.Loading, seq) !== seq) this.wakeHost()
  }

  /** Worker: the seq of the newest call the host abandoned while it ran. */
  get cancelledSeq(): number {
    return load(this.slots, Slot.Cancel)
  }

  /** Worker: whether the host is blocked in `runSync` (so a call back wakes it through `Wake`). */
  get hostIsBlocked(): boolean {
    return load(this.slots, Slot.HostBlocked) !== 0
  }

  /** Worker: claims the right to answer call `seq`; false if the host abandoned it. */
  beginResponse(seq: number): boolean {
    return compareExchange(this.slots, Slot.State, stateOf(seq, Phase.Running), stateOf(seq, Phase.Responding)) === stateOf(seq, Phase.Running)
  }

  /** Worker: publishes the answer of `seq` (its payload written) and wakes the host. */
  publishResponse(seq: number, flags: number): void {
    store(this.slots, Slot.ResponseFlags, flags)
    store(this.slots, Slot.State, stateOf(seq, Phase.Response))
    this.wakeHost()
  }

  /** Worker: one more portal task answer is on its way through the port. */
  taskAnswered(): void {
    add(this.slots, Slot.TaskAnswers, 1)
    this.wakeHost()
  }

  /** Worker: signals an event to the host: bumps `Wake`, and notifies it if the host waits. */
  wakeHost(): void {
    add(this.slots, Slot.Wake, 1)
    if (load(this.slots, Slot.HostWaits) !== 0) notify(this.slots, Slot.Wake)
  }

  // ── Payloads ──

  /**
   * Writes `values` as the payload of call `seq`: into the data region when the codec can
   * carry them, else as a port message. Returns the `Flag.ViaPort` bit (or 0) to publish.
   * Throws a `DataCloneError` naming the position of a value that cannot be cloned.
   */
  writePayload(
    side: PayloadSlots,
    seq: number,
    values: unknown[],
    maxInlineBytes: number,
    port: MessagePort,
    label: (index: number) => string,
    transfer?: readonly object[],
  ): number {
    if (transfer === undefined || transfer.length === 0) {
      try {
        const end = encodeInto(values, this.buffer, HEADER_BYTES, maxInlineBytes, label)
        store(this.slots, side.length, end)
        return 0
      } catch (error) {
        if (!(error instanceof CodecFallback)) throw error
      }
    }
    const lifted = liftCallbacks(values)
    const message: PortMessage =
      lifted.callbacks === undefined ? { t: 'payload', seq, values } : { t: 'payload', seq, values: lifted.values, callbacks: lifted.callbacks }
    try {
      port.postMessage(message, transfer === undefined ? [] : (transfer as Transferable[]))
    } catch (error) {
      throw explainCloneFailure(error, values, label)
    }
    return Flag.ViaPort
  }

  /**
   * Reads the payload of call `seq` that `writePayload` wrote, or `undefined` if it was
   * sent through the port and has not arrived yet (see `Inbox`).
   */
  readPayload(side: PayloadSlots, seq: number, inbox: Inbox): unknown[] | undefined {
    if ((load(this.slots, side.flags) & Flag.ViaPort) === 0) {
      return decodeFrom(this.buffer, HEADER_BYTES, load(this.slots, side.length))
    }
    return inbox.takePayload(seq)
  }
}
