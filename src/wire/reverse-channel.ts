/**
 * The reverse channel: calls back into the host (`fromThread`), over a second, small
 * SharedArrayBuffer per worker, so they never touch the data region of the call in flight
 * (layout and state machine in `protocol.ts`). `ReverseChannel` owns its header; the host
 * serves requests (`host/reverse-server.ts`), the worker makes them
 * (`worker/reverse-client.ts`).
 */
import { CodecFallback, carryable, decodeFrom, encodeInto } from './codec/index.ts'
import { REVERSE_HEADER_BYTES, ReverseFlag, ReversePhase, ReverseSlot, nextSeq, phaseOf, seqOf, stateOf } from './protocol.ts'

// Captured when this module loads, before any worker module runs on the thread: a module
// that replaces `Atomics` methods cannot break the channel.
const { compareExchange, load, notify, store, wait, waitAsync } = Atomics

export function createReverseBuffer(maxInlineBytes: number): SharedArrayBuffer {
  // Starts small and grows on demand, never past the limit (which may be below 4 KiB).
  return new SharedArrayBuffer(REVERSE_HEADER_BYTES + Math.min(4096, maxInlineBytes), { maxByteLength: REVERSE_HEADER_BYTES + maxInlineBytes })
}

/** A request as the host claimed it: its seq, and `[target, ...args]`. */
export interface ReverseRequest {
  readonly seq: number
  readonly values: unknown[]
}

/** Both ends of the reverse channel. */
export class ReverseChannel {
  private readonly slots: Int32Array
  private seq = 0

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly maxInlineBytes: number,
  ) {
    this.slots = new Int32Array(buffer, 0, REVERSE_HEADER_BYTES / 4)
  }

  // ── The host's side ──

  /** Whether a request waits to be served. */
  get pending(): boolean {
    return phaseOf(load(this.slots, ReverseSlot.State)) === ReversePhase.Request
  }

  /**
   * Whether a host function is running now for a worker that is blocked in
   * `fromThread.runSync` until it returns: blocking on that worker could never end.
   */
  get servingBlockedWorker(): boolean {
    return phaseOf(load(this.slots, ReverseSlot.State)) === ReversePhase.Serving && load(this.slots, ReverseSlot.Blocking) === 1
  }

  /** Claims the waiting request, if any. A request that cannot be decoded is answered with why. */
  claim(): ReverseRequest | undefined {
    const current = load(this.slots, ReverseSlot.State)
    if (phaseOf(current) !== ReversePhase.Request) return undefined
    const seq = seqOf(current)
    if (compareExchange(this.slots, ReverseSlot.State, current, stateOf(seq, ReversePhase.Serving)) !== current) return undefined
    try {
      return { seq, values: decodeFrom(this.buffer, REVERSE_HEADER_BYTES, load(this.slots, ReverseSlot.Length)) }
    } catch (error) {
      this.answer(seq, false, error)
      return undefined
    }
  }

  /** Answers request `seq` and wakes the worker. A value that cannot travel is answered as an error. */
  answer(seq: number, ok: boolean, value: unknown): void {
    try {
      this.write([value], "The host function's result")
      store(this.slots, ReverseSlot.Flags, ok ? ReverseFlag.Ok : ReverseFlag.Threw)
    } catch (error) {
      // It cannot travel: send why (the error that stopped a result), or what can be
      // carried of a thrown error (its class and every part that can cross).
      const substitute = ok ? error : value
      try {
        this.write([ok ? substitute : carryable(substitute)], 'An error')
      } catch {
        try {
          this.write([carryable(substitute)], 'An error')
        } catch {
          this.write([new Error("The host function's answer could not be cloned")], 'An error')
        }
      }
      store(this.slots, ReverseSlot.Flags, ReverseFlag.Threw)
    }
    store(this.slots, ReverseSlot.State, stateOf(seq, ReversePhase.Response))
    notify(this.slots, ReverseSlot.State)
  }

  // ── The worker's side ──

  /** Whether a request is in flight (waiting or being served). */
  get inFlight(): boolean {
    const phase = phaseOf(load(this.slots, ReverseSlot.State))
    return phase === ReversePhase.Request || phase === ReversePhase.Serving
  }

  /** Publishes a request for `target` (an exposed name or a callback id); returns its seq. */
  post(target: string | number, args: unknown[], blocking: boolean): number {
    this.seq = nextSeq(this.seq)
    this.write([target, ...args], 'An argument of the call to the host')
    store(this.slots, ReverseSlot.Blocking, blocking ? 1 : 0)
    store(this.slots, ReverseSlot.State, stateOf(this.seq, ReversePhase.Request))
    return this.seq
  }

  /** Whether request `seq` has been answered. */
  answered(seq: number): boolean {
    return load(this.slots, ReverseSlot.State) === stateOf(seq, ReversePhase.Response)
  }

  /** Blocks this thread until request `seq` is answered: spins `spinMillis`, then parks. */
  waitAnswer(seq: number, spinMillis: number, now: () => number): void {
    const done = stateOf(seq, ReversePhase.Response)
    const spinEnd = now() + spinMillis
    let current = load(this.slots, ReverseSlot.State)
    for (let polls = 1; current !== done && (polls & 31 || now() < spinEnd); polls++) current = load(this.slots, ReverseSlot.State)
    while (current !== done) {
      wait(this.slots, ReverseSlot.State, current, 50)
      current = load(this.slots, ReverseSlot.State)
    }
  }

  /** Resolves once request `seq` is answered, without blocking this thread's event loop. */
  async answerAsync(seq: number): Promise<void> {
    const done = stateOf(seq, ReversePhase.Response)
    for (let current = load(this.slots, ReverseSlot.State); current !== done; current = load(this.slots, ReverseSlot.State)) {
      const waiting = waitAsync(this.slots, ReverseSlot.State, current)
      if (waiting.async) await waiting.value
    }
  }

  /** Reads the answer of request `seq` and frees the channel: the value, and whether it threw. */
  read(seq: number): { value: unknown; threw: boolean } {
    const [value] = decodeFrom(this.buffer, REVERSE_HEADER_BYTES, load(this.slots, ReverseSlot.Length))
    const threw = load(this.slots, ReverseSlot.Flags) === ReverseFlag.Threw
    store(this.slots, ReverseSlot.State, stateOf(seq, ReversePhase.Idle))
    return { value, threw }
  }

  private write(values: unknown[], what: string): void {
    try {
      store(
        this.slots,
        ReverseSlot.Length,
        // inline only: there is no fallback here, so a large array takes the codec's own path
        encodeInto(values, this.buffer, REVERSE_HEADER_BYTES, this.maxInlineBytes, () => what, true),
      )
    } catch (error) {
      if (!(error instanceof CodecFallback)) throw error
      throw new TypeError(`${what} cannot travel back to the host: only values the inline codec carries (no platform objects, under maxInlineBytes)`)
    }
  }
}
