/**
 * Calls back into the host (`fromThread`), over a second, small SharedArrayBuffer per
 * worker, so they never touch the data region of the call in flight.
 *
 * The worker writes a request and wakes the host two ways: it notifies the host's
 * `State` slot (a host blocked in `runSync` on this worker wakes and serves it inline)
 * and posts a `reverse` doorbell on the port (a host whose event loop runs serves it
 * there, and may await async functions). A host blocked in `runSync` cannot await: a host
 * function that returns a Promise then fails in the worker with `DeadlockError`.
 */
import { CodecFallback, decodeFrom, encodeInto } from './codec.ts'
import { DeadlockError, reviveOwnError } from './errors.ts'
import { now } from './wait.ts'

const HEADER = 64
const State = 0
const Length = 1
const Flags = 2
/** 1 while the worker is blocked in `fromThread.runSync` waiting for this request. */
const Blocking = 3
const Phase = { Idle: 0, Request: 1, Serving: 2, Response: 3 } as const
const Threw = 1

/** The marker a function argument travels as; the worker turns it into a proxy. */
export const CALLBACK_KEY = '\u0000anythread.callback'

/** What the host offers: functions by name (`expose`) and the callbacks of calls in flight. */
export interface HostFunctions {
  readonly expose: Readonly<Record<string, (...args: never[]) => unknown>>
  readonly callbacks: Map<number, (...args: never[]) => unknown>
  /** The id given to the newest callback. */
  lastCallbackId: number
}

/**
 * Replaces the function arguments of a call with markers the worker turns into proxies;
 * each function is reachable by its id until the returned `release` runs, when the call
 * ends. Returns `undefined` when there was no function.
 */
export function registerCallbacks(host: HostFunctions, args: unknown[]): (() => void) | undefined {
  let ids: number[] | undefined
  for (let i = 0; i < args.length; i++) {
    const fn = args[i]
    if (typeof fn !== 'function') continue
    const id = (host.lastCallbackId = (host.lastCallbackId + 1) | 0 || 1)
    host.callbacks.set(id, fn as (...args: never[]) => unknown)
    args[i] = { [CALLBACK_KEY]: id }
    ;(ids ??= []).push(id)
  }
  if (ids === undefined) return undefined
  return () => {
    for (const id of ids) host.callbacks.delete(id)
  }
}

const isThenable = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'

export function createReverseBuffer(maxInlineBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + 4096, { maxByteLength: HEADER + maxInlineBytes })
}

const state = (seq: number, phase: number): number => (seq << 2) | phase
const phaseOf = (value: number): number => value & 3
const seqOf = (value: number): number => value >>> 2

function write(buffer: SharedArrayBuffer, slots: Int32Array, values: unknown[], maxInlineBytes: number, what: string): void {
  try {
    Atomics.store(slots, Length, encodeInto(values, buffer, HEADER, maxInlineBytes, () => what))
  } catch (error) {
    if (!(error instanceof CodecFallback)) throw error
    throw new TypeError(`${what} cannot travel back to the host: only values the inline codec carries (no platform objects, under maxInlineBytes)`)
  }
}

/** The host's end: serves requests inline (blocked) or on its event loop. */
export class ReverseServer {
  private readonly slots: Int32Array
  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly functions: HostFunctions,
    private readonly maxInlineBytes: number,
  ) {
    this.slots = new Int32Array(buffer, 0, HEADER / 4)
  }

  /**
   * Whether a host function is running now for a worker that is blocked in
   * `fromThread.runSync` until it returns: blocking on that worker could never end.
   */
  get servingBlockedWorker(): boolean {
    return phaseOf(Atomics.load(this.slots, State)) === Phase.Serving && Atomics.load(this.slots, Blocking) === 1
  }

  /** Whether a request waits to be served. */
  get pending(): boolean {
    return phaseOf(Atomics.load(this.slots, State)) === Phase.Request
  }

  /** Serves a waiting request now, from a blocked host: a Promise answer is a deadlock. */
  serveBlocked(): void {
    const request = this.claim()
    if (request === undefined) return
    let ok = true
    let value: unknown
    try {
      value = this.invoke(request.values)
      if (isThenable(value)) {
        ;(value as Promise<unknown>).then(undefined, () => {}) // nobody can await it now
        ok = false
        value = new DeadlockError(
          `host function ${this.describe(request.values[0])} returned a Promise while the host was blocked in runSync: it needs the host's event loop, which cannot run until that call returns`,
        )
      }
    } catch (error) {
      ok = false
      value = error
    }
    this.answer(request.seq, ok, value)
  }

  /**
   * Serves a waiting request on the host's event loop; async host functions are awaited.
   * A sync one is answered before this returns, not in a microtask: the host may block
   * again right after (a `runSync`, a `result()`), and microtasks cannot run then.
   */
  serve(): void {
    const request = this.claim()
    if (request === undefined) return
    let value: unknown
    try {
      value = this.invoke(request.values)
    } catch (error) {
      return this.answer(request.seq, false, error)
    }
    if (!isThenable(value)) return this.answer(request.seq, true, value)
    Promise.resolve(value).then(
      (settled) => this.answer(request.seq, true, settled),
      (error: unknown) => this.answer(request.seq, false, error),
    )
  }

  private claim(): { seq: number; values: unknown[] } | undefined {
    const current = Atomics.load(this.slots, State)
    if (phaseOf(current) !== Phase.Request) return undefined
    const seq = seqOf(current)
    if (Atomics.compareExchange(this.slots, State, current, state(seq, Phase.Serving)) !== current) return undefined
    try {
      return { seq, values: decodeFrom(this.buffer, HEADER, Atomics.load(this.slots, Length)) }
    } catch (error) {
      this.answer(seq, false, error)
      return undefined
    }
  }

  private invoke(values: unknown[]): unknown {
    const [target, ...args] = values
    const fn = typeof target === 'number' ? this.functions.callbacks.get(target) : this.functions.expose[target as string]
    if (typeof fn !== 'function') {
      throw new TypeError(
        typeof target === 'number'
          ? 'this callback was released: its call has ended'
          : `the host exposes no function '${String(target)}' (exposed: ${Object.keys(this.functions.expose).join(', ') || 'none'})`,
      )
    }
    return (fn as (...args: unknown[]) => unknown)(...args)
  }

  private describe(target: unknown): string {
    return typeof target === 'number' ? 'a callback' : `'${String(target)}'`
  }

  private answer(seq: number, ok: boolean, value: unknown): void {
    try {
      write(this.buffer, this.slots, [value], this.maxInlineBytes, 'The host function\'s result')
      Atomics.store(this.slots, Flags, ok ? 0 : Threw)
    } catch (error) {
      write(this.buffer, this.slots, [error instanceof Error ? new Error(error.message) : new Error(String(error))], this.maxInlineBytes, 'An error')
      Atomics.store(this.slots, Flags, Threw)
    }
    Atomics.store(this.slots, State, state(seq, Phase.Response))
    Atomics.notify(this.slots, State)
  }
}

/** The worker's end: one request at a time, blocking or awaited. */
export class ReverseClient {
  private readonly slots: Int32Array
  private seq = 0
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly maxInlineBytes: number,
    private readonly wake: () => void,
  ) {
    this.slots = new Int32Array(buffer, 0, HEADER / 4)
  }

  /** Calls a host function and blocks this thread until it answers. */
  callSync(target: string | number, args: unknown[]): unknown {
    const phase = phaseOf(Atomics.load(this.slots, State))
    if (phase === Phase.Request || phase === Phase.Serving) {
      throw new DeadlockError('fromThread.runSync() was called while another call to the host from this thread is in flight')
    }
    const seq = this.post(target, args, true)
    const done = state(seq, Phase.Response)
    const spinEnd = now() + 0.05
    let current = Atomics.load(this.slots, State)
    for (let polls = 1; current !== done && (polls & 31 || now() < spinEnd); polls++) current = Atomics.load(this.slots, State)
    while (current !== done) {
      Atomics.wait(this.slots, State, current, 50)
      current = Atomics.load(this.slots, State)
    }
    return this.read()
  }

  /** Calls a host function; resolves with its (awaited) result. Calls queue one by one. */
  call(target: string | number, args: unknown[]): Promise<unknown> {
    const result = this.queue.then(() => this.callAsync(target, args))
    this.queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  private async callAsync(target: string | number, args: unknown[]): Promise<unknown> {
    const seq = this.post(target, args, false)
    const done = state(seq, Phase.Response)
    for (let current = Atomics.load(this.slots, State); current !== done; current = Atomics.load(this.slots, State)) {
      const waiting = Atomics.waitAsync(this.slots, State, current)
      if (waiting.async) await waiting.value
    }
    return this.read()
  }

  private post(target: string | number, args: unknown[], blocking: boolean): number {
    this.seq = (this.seq + 1) & 0x1fffffff || 1
    write(this.buffer, this.slots, [target, ...args], this.maxInlineBytes, 'An argument of the call to the host')
    Atomics.store(this.slots, Blocking, blocking ? 1 : 0)
    Atomics.store(this.slots, State, state(this.seq, Phase.Request))
    this.wake()
    return this.seq
  }

  private read(): unknown {
    const [value] = decodeFrom(this.buffer, HEADER, Atomics.load(this.slots, Length))
    const threw = Atomics.load(this.slots, Flags) === Threw
    Atomics.store(this.slots, State, state(this.seq, Phase.Idle))
    if (threw) throw reviveOwnError(value)
    return value
  }
}
