/**
 * The control port's side of the wire: values packed for a port message (portal tasks and
 * their answers), and the `Inbox` that files payload messages as they arrive, whether the
 * event loop delivered them or a blocked thread pulled them synchronously.
 */
import { CodecFallback, dataCloneError, decodeFrom, encodeInto, liftCallbacks, restoreCallbacks } from './codec/index.ts'
import { DEFAULT_MAX_INLINE_BYTES } from './protocol.ts'
import type { Packed, PortMessage } from './protocol.ts'

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
  if (packed === undefined) {
    const lifted = liftCallbacks(values)
    packed = lifted.callbacks === undefined ? { values } : { values: lifted.values, callbacks: lifted.callbacks }
  }
  try {
    port.postMessage({ ...head, packed }, transfer === undefined ? [] : (transfer as Transferable[]))
  } catch (error) {
    throw explainCloneFailure(error, values, label)
  }
}

/** The values `postValues` packed. */
export function unpackValues(packed: Packed): unknown[] {
  return 'values' in packed ? restoreCallbacks(packed.values, packed.callbacks) : decodeFrom(packed.bytes, 0, packed.end)
}

/** Finds which value made postMessage fail, so the error can name its position. */
export function explainCloneFailure(error: unknown, values: unknown[], label: (index: number) => string): unknown {
  if (!(error instanceof Error) && !(error instanceof DOMException)) return error
  // The codec names the place (`Argument 1, at [2000]`) when it refuses the value itself: a
  // value it handed to the platform (a large array) is walked again, inline this time.
  try {
    scratch ??= new SharedArrayBuffer(4096, { maxByteLength: DEFAULT_MAX_INLINE_BYTES })
    encodeInto(values, scratch, 0, scratch.maxByteLength, label, true)
  } catch (refused) {
    if (!(refused instanceof CodecFallback)) return refused
  }
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
      this.payloads.set(message.seq, restoreCallbacks(message.values, message.callbacks))
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
