/**
 * The call channel: one growable SharedArrayBuffer shared by a host and its worker.
 *
 * Layout: a 64-byte header of Int32 slots, then one data region that carries either the
 * request (host → worker) or the response (worker → host) of the single call in flight.
 *
 * The `State` slot holds `(seq << 3) | phase`. Every transition is a compare-and-swap on
 * the whole word, so a late answer to an abandoned call (its seq is stale) can never be
 * taken for the answer to a newer one:
 *
 *   host    Idle ──write request──▶ Request
 *   worker  Request ──claim──▶ Claimed ──decoded──▶ Running
 *   worker  Running ──claim answer──▶ Responding ──written──▶ Response
 *   host    Response ──read──▶ (next call)
 *   host    Request | Running ──deadline──▶ Idle   (abandon: the worker drops its answer)
 *
 * Values are encoded straight into the data region by `codec.ts`. A value the codec
 * cannot carry (platform objects, transfer lists, payloads over `maxInlineBytes`) travels
 * through the control port as a structured-clone message instead, and the flags say so.
 */
import { CodecFallback, decodeFrom, encodeInto } from './codec.ts'
import { dataCloneError } from './errors.ts'

/**
 * The header: three 64-byte cache lines of Int32 slots. The host writes the first, the
 * worker the second, so the host spinning on `State` is disturbed only by the worker's
 * state transitions, not by its bookkeeping; the third holds what the host writes on
 * every call but the worker rarely reads.
 */
export const HEADER_BYTES = 192

/** Int32 indices into the header. */
export const Slot = {
  // Line 0: State, and what the host writes.
  /** `(seq << 3) | Phase` of the call in flight. */
  State: 0,
  /** The seq of the newest call the host abandoned; read by `checkCancelled()`. */
  Cancel: 1,
  /**
   * Non-zero while the host may be waiting on `Wake` or `Busy` (parked in `Atomics.wait`,
   * or a pool's `Atomics.waitAsync`): only then does the worker pay for `Atomics.notify`.
   * The host sets it before it waits and the wait re-checks the value, so no wake is lost.
   */
  HostWaits: 2,
  /** End offset of the request payload in the data region. */
  RequestLength: 3,
  /** `Flag.*` of the request payload. */
  RequestFlags: 4,

  // Line 1: what the worker writes.
  /** `WorkerIdle.Awake` while the worker polls for requests, `Parked` when it needs a doorbell. */
  WorkerIdle: 16,
  /** `Life.*`: set to `Dead` by the worker's death hook, which also signals `Wake`. */
  Life: 17,
  /** Calls the worker has claimed and not settled yet. */
  Busy: 18,
  /** The exit code the worker's death hook recorded, or -1. */
  ExitCode: 19,
  /** End offset of the response payload in the data region. */
  ResponseLength: 20,
  /** `Flag.*` of the response payload. */
  ResponseFlags: 21,
  /**
   * An event count: the worker adds one for everything a waiting host must see (an
   * answer, its death, a call back into the host). The host reads it before checking and
   * waits on that value, so an event between the check and the wait is never missed.
   */
  Wake: 22,
  /**
   * Portal tasks the worker has answered through the port (see `PortMessage` 'done'). The
   * host compares it with the answers it has read: a difference means one is in transit.
   */
  TaskAnswers: 23,
  // Line 2: written by the host on every call, read by the worker only to call back.
  /**
   * Non-zero while the host is blocked in `runSync` on this worker: the worker's calls
   * back into the host then wake it through `Wake` rather than the doorbell port.
   */
  HostBlocked: 32,
} as const

/** Which header slots describe a payload: the request's (host) or the response's (worker). */
export const RequestSlots = { length: Slot.RequestLength, flags: Slot.RequestFlags } as const
export const ResponseSlots = { length: Slot.ResponseLength, flags: Slot.ResponseFlags } as const
export type PayloadSlots = typeof RequestSlots | typeof ResponseSlots

export const Phase = { Idle: 0, Request: 1, Claimed: 2, Running: 3, Responding: 4, Response: 5 } as const
export const WorkerIdle = { Awake: 0, Parked: 1 } as const
export const Life = { Booting: 0, Ready: 1, Dead: 2 } as const

export const Flag = {
  /** The payload is a message on the control port, not in the data region. */
  ViaPort: 1,
  /** Response kinds. */
  Ok: 0,
  Threw: 2,
  ModuleError: 4,
} as const

/** Messages on the control port. Numbers are cheap doorbells. */
export const DOORBELL = 0
export type PortMessage =
  | typeof DOORBELL
  | { readonly t: 'payload'; readonly seq: number; readonly values: unknown[] }
  | { readonly t: 'cancel'; readonly seq: number; readonly reason: 'timeout' | 'abort' }
  | { readonly t: 'crash'; readonly error: unknown }
  /** A portal task (`startTaskSoon`): its request, as `Request` values. */
  | { readonly t: 'task'; readonly id: number; readonly packed: Packed }
  /** The answer of portal task `id`: a `Flag` kind and its value. */
  | { readonly t: 'done'; readonly id: number; readonly kind: number; readonly packed: Packed }

const SEQ_MASK = 0x0fffffff

export const stateOf = (seq: number, phase: number): number => (seq << 3) | phase
export const phaseOf = (state: number): number => state & 7
export const seqOf = (state: number): number => (state >>> 3) & SEQ_MASK
export const nextSeq = (seq: number): number => ((seq + 1) & SEQ_MASK) || 1

/** Default largest payload carried in shared memory; larger ones use the port. */
export const DEFAULT_MAX_INLINE_BYTES = 16 * 1024 * 1024
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

/** Both ends of the channel: the buffer and its header. */
export class Channel {
  readonly slots: Int32Array
  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer, 0, HEADER_BYTES / 4)
  }

  load(slot: number): number {
    return Atomics.load(this.slots, slot)
  }

  store(slot: number, value: number): void {
    Atomics.store(this.slots, slot, value)
  }

  /** Moves `State` from `from` to `to`; false if someone else moved it first. */
  transition(from: number, to: number): boolean {
    return Atomics.compareExchange(this.slots, Slot.State, from, to) === from
  }

  /** Publishes a new `State`. The worker never parks on it: a parked worker gets a doorbell. */
  publish(state: number): void {
    Atomics.store(this.slots, Slot.State, state)
  }

  /** Signals an event to the host: bumps `Wake`, and notifies it if the host waits. */
  wakeHost(): void {
    Atomics.add(this.slots, Slot.Wake, 1)
    if (Atomics.load(this.slots, Slot.HostWaits) !== 0) Atomics.notify(this.slots, Slot.Wake)
  }

  /** Wakes the host if it waits on `Busy` in `settles()`. */
  wakeBusyWaiter(): void {
    if (Atomics.load(this.slots, Slot.HostWaits) !== 0) Atomics.notify(this.slots, Slot.Busy)
  }

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
        this.store(side.length, end)
        return 0
      } catch (error) {
        if (!(error instanceof CodecFallback)) throw error
      }
    }
    const message: PortMessage = { t: 'payload', seq, values }
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
    if ((this.load(side.flags) & Flag.ViaPort) === 0) return decodeFrom(this.buffer, HEADER_BYTES, this.load(side.length))
    return inbox.takePayload(seq)
  }
}

/**
 * Values carried inside a port message: encoded by the codec into a small shared buffer
 * (so errors keep their class and own properties, as on the channel), or, for what the
 * codec cannot carry (transfer lists, platform objects), as structured-clone values.
 */
export type Packed = { readonly bytes: SharedArrayBuffer; readonly end: number } | { readonly values: unknown[] }

/** Where `postValues` encodes before copying out exactly the bytes used. */
let scratch: SharedArrayBuffer | undefined

/**
 * Posts `head` with `values` packed into it (see `Packed`). Throws a `DataCloneError`
 * naming the position of a value that cannot be cloned; nothing is posted then.
 */
export function postValues(
  port: MessagePort,
  head: { readonly t: 'task' | 'done'; readonly id: number; readonly kind?: number },
  values: unknown[],
  maxInlineBytes: number,
  label: (index: number) => string,
  transfer?: readonly object[],
): void {
  let packed: Packed | undefined
  if (transfer === undefined || transfer.length === 0) {
    try {
      scratch ??= new SharedArrayBuffer(4096, { maxByteLength: Math.max(maxInlineBytes, DEFAULT_MAX_INLINE_BYTES) })
      const end = encodeInto(values, scratch, 0, Math.min(maxInlineBytes, scratch.maxByteLength), label)
      packed = { bytes: scratch.slice(0, end), end }
    } catch (error) {
      if (!(error instanceof CodecFallback)) throw error
    }
  }
  packed ??= { values }
  try {
    port.postMessage({ ...head, packed }, transfer === undefined ? [] : (transfer as Transferable[]))
  } catch (error) {
    throw explainCloneFailure(error, values, label)
  }
}

/** The values `postValues` packed. */
export function unpackValues(packed: Packed): unknown[] {
  return 'values' in packed ? packed.values : decodeFrom(packed.bytes, 0, packed.end)
}

/** Finds which value made postMessage fail, so the error can name its position. */
function explainCloneFailure(error: unknown, values: unknown[], label: (index: number) => string): unknown {
  if (!(error instanceof Error) && !(error instanceof DOMException)) return error
  for (let i = 0; i < values.length; i++) {
    try {
      structuredClone(values[i])
    } catch (inner) {
      return dataCloneError(`${label(i)} could not be cloned: ${(inner as Error).message}`)
    }
  }
  return error
}

/**
 * The receiving side of the control port. Payload messages may arrive through the port's
 * listener (when the event loop ran first) or be pulled synchronously; both land here.
 */
export class Inbox {
  private readonly payloads = new Map<number, unknown[]>()
  constructor(
    private readonly port: MessagePort,
    private readonly receiveSync: (port: MessagePort) => { message: unknown } | undefined,
    private readonly onOther: (message: PortMessage) => void,
  ) {}

  /** Files a message that the port's listener delivered. */
  accept(message: PortMessage): void {
    if (typeof message === 'object' && message !== null && message.t === 'payload') {
      this.payloads.set(message.seq, message.values)
      this.deliverWaiting()
    } else {
      this.onOther(message)
    }
  }

  /** Drains whatever is queued on the port right now. */
  drain(): void {
    for (let entry = this.receiveSync(this.port); entry !== undefined; entry = this.receiveSync(this.port)) {
      this.accept(entry.message as PortMessage)
    }
  }

  /**
   * The payload of call `seq`, if it has arrived. It was posted before the call's state
   * was published, but a runtime may still be moving it between threads (Deno forwards
   * messages of a freshly transferred port through its event loop).
   */
  takePayload(seq: number): unknown[] | undefined {
    let values = this.payloads.get(seq)
    if (values === undefined) {
      this.drain()
      values = this.payloads.get(seq)
      if (values === undefined) return undefined
    }
    this.payloads.delete(seq)
    this.forgetBefore(seq)
    return values
  }

  /** Drops payloads of calls older than `seq`: nobody waits for them any more. */
  forgetBefore(seq: number): void {
    if (this.payloads.size === 0) return
    for (const key of this.payloads.keys()) if (key < seq) this.payloads.delete(key)
  }

  /** Whether the payload of call `seq` is here (checking the port without waiting). */
  hasPayload(seq: number): boolean {
    if (!this.payloads.has(seq)) this.drain()
    return this.payloads.has(seq)
  }

  /** Calls `then` once the payload of call `seq` arrives through the port's listener. */
  whenPayload(seq: number, then: (values: unknown[]) => void): void {
    this.waiting = { seq, then }
  }

  private waiting: { seq: number; then: (values: unknown[]) => void } | undefined

  private deliverWaiting(): void {
    const waiting = this.waiting
    if (waiting === undefined) return
    const values = this.takePayload(waiting.seq)
    if (values === undefined) return
    this.waiting = undefined
    waiting.then(values)
  }
}
