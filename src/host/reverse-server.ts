/**
 * The host's end of calls back from a worker (`fromThread`): serves them inline while the
 * host is blocked in `runSync` on that worker, or on the host's event loop otherwise.
 *
 * The worker wakes the host two ways: through the call channel's event count (a host
 * blocked in `runSync` on this worker wakes and serves it inline) or through a doorbell
 * port (a host whose event loop runs serves it there, and may await async functions). A
 * host blocked in `runSync` cannot await: a host function that returns a Promise then
 * fails in the worker with `DeadlockError`.
 */
import { DeadlockError } from '../shared/errors.ts'
import { CallbackRef } from '../wire/codec/index.ts'
import { ReverseChannel } from '../wire/reverse-channel.ts'

/** What the host offers: functions by name (`expose`) and the callbacks of calls in flight. */
export interface HostFunctions {
  readonly expose: Readonly<Record<string, (...args: never[]) => unknown>>
  readonly callbacks: Map<number, (...args: never[]) => unknown>
  /** The id given to the newest callback. */
  lastCallbackId: number
}

/**
 * Replaces the function arguments of a call with `CallbackRef`s, which the codec carries
 * as their own tag and the worker turns into proxies; each function is reachable by its id
 * until the returned `release` runs, when the call ends. Returns `undefined` when there
 * was no function.
 */
export function registerCallbacks(host: HostFunctions, args: unknown[]): (() => void) | undefined {
  let ids: number[] | undefined
  for (let i = 0; i < args.length; i++) {
    const fn = args[i]
    if (typeof fn !== 'function') continue
    const id = (host.lastCallbackId = (host.lastCallbackId + 1) | 0 || 1)
    host.callbacks.set(id, fn as (...args: never[]) => unknown)
    args[i] = new CallbackRef(id)
    ;(ids ??= []).push(id)
  }
  if (ids === undefined) return undefined
  return () => {
    for (const id of ids) host.callbacks.delete(id)
  }
}

/** Whether `value` is a thenable; a `then` getter that throws counts as not. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
  } catch {
    return false
  }
}

/** Serves one worker's calls back into the host. */
export class ReverseServer {
  private readonly channel: ReverseChannel

  constructor(
    buffer: SharedArrayBuffer,
    private readonly functions: HostFunctions,
    maxInlineBytes: number,
  ) {
    this.channel = new ReverseChannel(buffer, maxInlineBytes)
  }

  /** Whether a request waits to be served. */
  get pending(): boolean {
    return this.channel.pending
  }

  /** See `ReverseChannel.servingBlockedWorker`. */
  get servingBlockedWorker(): boolean {
    return this.channel.servingBlockedWorker
  }

  /** Serves a waiting request now, from a blocked host: a Promise answer is a deadlock. */
  serveBlocked(): void {
    const request = this.channel.claim()
    if (request === undefined) return
    let ok = true
    let value: unknown
    try {
      value = this.invoke(request.values)
      if (isThenable(value)) {
        Promise.resolve(value).then(undefined, () => {}) // nobody can await it now
        ok = false
        value = new DeadlockError(
          `host function ${describe(request.values[0])} returned a Promise while the host was blocked in runSync: it needs the host's event loop, which cannot run until that call returns. Make the host function synchronous, or call the export with run() instead of runSync() so the host's event loop keeps running`,
        )
      }
    } catch (error) {
      ok = false
      value = error
    }
    this.channel.answer(request.seq, ok, value)
  }

  /**
   * Serves a waiting request on the host's event loop; async host functions are awaited.
   * A sync one is answered before this returns, not in a microtask: the host may block
   * again right after (a `runSync`, a `result()`), and microtasks cannot run then.
   */
  serve(): void {
    const request = this.channel.claim()
    if (request === undefined) return
    const { seq } = request
    let value: unknown
    try {
      value = this.invoke(request.values)
    } catch (error) {
      return this.channel.answer(seq, false, error)
    }
    if (!isThenable(value)) return this.channel.answer(seq, true, value)
    Promise.resolve(value).then(
      (settled) => this.channel.answer(seq, true, settled),
      (error: unknown) => this.channel.answer(seq, false, error),
    )
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
}

const describe = (target: unknown): string => (typeof target === 'number' ? 'a callback' : `'${String(target)}'`)
