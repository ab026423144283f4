/**
 * `CapacityLimiter`, after anyio's: a pool of tokens that bounds how many tasks run at once.
 *
 * - Waiters are served strictly first come, first served. A token given back while others
 *   wait goes straight to the first of them: a later `acquireNowait()` never barges in.
 * - A borrower holds at most one token of a limiter at a time.
 * - `totalTokens` is writable: raising it hands the new tokens to waiters at once, lowering
 *   it revokes nothing already borrowed (new tokens are handed out once enough come back).
 *
 * JavaScript has no "current task" to attribute a token to, so `acquire()` resolves to a
 * {@link CapacityToken}, a borrower of its own that you give back with `token.release()`
 * or by scope (`using token = await limiter.acquire()`). `acquireOnBehalfOf(borrower)`
 * names the borrower explicitly, as anyio's does. `release()` without an argument exists
 * for anyio's `acquire()`/`release()` pairs: it gives back the newest token taken by
 * `acquire()`/`acquireNowait()`. Prefer the token form: it cannot release someone else's.
 *
 * @module
 */
import { AnythreadError, WouldBlockError } from '../shared/errors.ts'
import { disposeSymbol } from './lifetime.ts'

/** A snapshot of a limiter, from {@link CapacityLimiter.statistics}. */
export interface CapacityLimiterStatistics {
  /** How many tokens are borrowed now. Can exceed `totalTokens` right after it was lowered. */
  readonly borrowedTokens: number
  /** The limiter's `totalTokens` (an integer >= 1, or `Infinity`). */
  readonly totalTokens: number
  /**
   * Current borrowers, in the order they took their tokens. Tokens from `acquire()` appear
   * as their {@link CapacityToken} (JSON: `{ "kind": "token", "token": 3 }`), `run()` tasks as
   * `{ kind: 'run', task, name, module }`, other borrowers as they were given.
   */
  readonly borrowers: readonly unknown[]
  /** How many acquisitions are waiting for a token. */
  readonly tasksWaiting: number
}

// Module-private bridges between the two classes (assigned in their static blocks).
let issueToken: (limiter: CapacityLimiter) => CapacityToken
let holds: (limiter: CapacityLimiter, borrower: unknown) => boolean
let lastTokenNumber = 0

/**
 * A token borrowed from a {@link CapacityLimiter} by `acquire()` or `acquireNowait()`.
 * It is its own borrower. Give it back once, with `release()`, or let a `using`
 * declaration do it: `using token = await limiter.acquire()`.
 */
export class CapacityToken {
  static {
    issueToken = (limiter) => new CapacityToken(limiter)
  }

  readonly #limiter: CapacityLimiter
  /** A number for logs and statistics, unique in this realm. */
  readonly number = ++lastTokenNumber

  /** Tokens come from `CapacityLimiter.acquire()` and `acquireNowait()` only. */
  private constructor(limiter: CapacityLimiter) {
    this.#limiter = limiter
  }

  /** What `JSON.stringify` shows of a token, in `limiter.statistics().borrowers` for one. */
  toJSON(): { kind: 'token'; token: number; held: boolean } {
    return { kind: 'token', token: this.number, held: this.held }
  }

  /** The limiter this token belongs to. */
  get limiter(): CapacityLimiter {
    return this.#limiter
  }

  /** Whether the token is still borrowed (false once given back, by any route). */
  get held(): boolean {
    return holds(this.#limiter, this)
  }

  /**
   * Gives the token back; the first waiter, if any, gets it at once.
   * @throws {AnythreadError} if it was already given back (by `release()`, disposal,
   * `limiter.release()` or `limiter.releaseOnBehalfOf(token)`).
   */
  release(): void {
    if (!this.held) throw new AnythreadError('This CapacityToken was already released')
    this.#limiter.releaseOnBehalfOf(this)
  }

  /** Gives the token back if it is still held; does nothing otherwise (disposal is idempotent). */
  [disposeSymbol](): void {
    if (this.held) this.#limiter.releaseOnBehalfOf(this)
  }
}

/** An acquisition waiting for a token. */
interface Waiter {
  readonly borrower: unknown
  /** Taken by `acquire()`: `release()` without a borrower may give it back. */
  readonly implicit: boolean
  readonly resolve: () => void
  /** Stops listening to the waiter's abort signal. */
  cleanup: (() => void) | undefined
}

/**
 * A pool of `totalTokens` tokens; each running task borrows one. After anyio's
 * `CapacityLimiter`: FIFO waiters, one token per borrower, writable `totalTokens`,
 * `statistics()`.
 *
 * ```ts
 * const limiter = new CapacityLimiter(4)
 * using token = await limiter.acquire({ signal })   // given back at the end of the scope
 * ```
 */
export class CapacityLimiter {
  static {
    holds = (limiter, borrower) => limiter.#borrowers.has(borrower)
  }

  #total: number
  /** Borrowers, in the order they took their tokens. */
  readonly #borrowers = new Set<unknown>()
  /** Waiters by borrower, in arrival order (a borrower waits at most once). */
  readonly #waiters = new Map<unknown, Waiter>()
  /** Tokens taken by `acquire()`/`acquireNowait()` and still held, oldest first. */
  readonly #implicit: CapacityToken[] = []

  /**
   * @param totalTokens how many tokens there are: an integer >= 1, or `Infinity` (no limit).
   * @throws {RangeError} for any other value.
   */
  constructor(totalTokens: number) {
    this.#total = checkTotal(totalTokens)
  }

  /**
   * How many tokens there are. Setting it validates like the constructor (`RangeError`).
   * Raising it hands the new tokens to waiters at once, first come first served; lowering
   * it revokes no token already borrowed: tokens are handed out again only once the
   * borrowed count has dropped below the new total.
   */
  get totalTokens(): number {
    return this.#total
  }

  set totalTokens(value: number) {
    this.#total = checkTotal(value)
    this.#wake()
  }

  /** How many tokens are borrowed now. */
  get borrowedTokens(): number {
    return this.#borrowers.size
  }

  /** How many tokens are free now: `totalTokens - borrowedTokens`, never below 0 (`Infinity` for an unlimited limiter). */
  get availableTokens(): number {
    return Math.max(0, this.#total - this.#borrowers.size)
  }

  /**
   * Takes a token, waiting (FIFO) while none is free, and resolves to it. When a token is
   * free and nobody waits, it is taken synchronously, before this call returns.
   *
   * @param options.signal aborts the wait. Already aborted: rejects with `signal.reason` and
   *   takes no token. Aborted while waiting: leaves the queue (the others keep their order)
   *   and rejects with `signal.reason`. Aborted after the token was handed over: too late,
   *   the promise resolves to the token, which the caller must release. Default: none.
   * @returns the token; give it back with `token.release()` or a `using` declaration.
   */
  acquire(options?: { signal?: AbortSignal }): Promise<CapacityToken> {
    const token = issueToken(this)
    return this.#acquire(token, true, options?.signal, token)
  }

  /**
   * Takes a token if one is free and nobody is waiting for one, without waiting.
   * @returns the token; give it back with `token.release()` or a `using` declaration.
   * @throws {WouldBlockError} when no token is free, or others already wait (no barging).
   */
  acquireNowait(): CapacityToken {
    const token = issueToken(this)
    this.#acquireNowait(token, true)
    return token
  }

  /**
   * Takes a token for `borrower` (any value compared by identity: a task object, an id),
   * waiting (FIFO) while none is free. `signal` behaves as for {@link acquire}.
   * Rejects with an `AnythreadError` if `borrower` already holds or waits for a token of
   * this limiter: one token per borrower.
   */
  acquireOnBehalfOf(borrower: unknown, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#acquire(borrower, false, options?.signal, undefined)
  }

  /**
   * Takes a token for `borrower` without waiting.
   * @throws {WouldBlockError} when no token is free, or others already wait (no barging).
   * @throws {AnythreadError} if `borrower` already holds or waits for a token of this limiter.
   */
  acquireOnBehalfOfNowait(borrower: unknown): void {
    this.#acquireNowait(borrower, false)
  }

  /**
   * anyio's `release()`: gives back the newest token taken by `acquire()` or
   * `acquireNowait()` that is still held. Prefer `token.release()`, which cannot give back
   * another caller's token.
   * @throws {AnythreadError} if no such token is held.
   */
  release(): void {
    const token = this.#implicit.at(-1)
    if (token === undefined) {
      throw new AnythreadError('release(): no token taken with acquire() or acquireNowait() is held')
    }
    this.releaseOnBehalfOf(token)
  }

  /**
   * Gives back `borrower`'s token; the first waiter, if any, gets it at once.
   * @throws {AnythreadError} if `borrower` holds no token of this limiter.
   */
  releaseOnBehalfOf(borrower: unknown): void {
    if (!this.#borrowers.delete(borrower)) {
      throw new AnythreadError('releaseOnBehalfOf(): this borrower holds no token of this limiter')
    }
    if (borrower instanceof CapacityToken) {
      const at = this.#implicit.lastIndexOf(borrower)
      if (at !== -1) this.#implicit.splice(at, 1)
    }
    this.#wake()
  }

  /** A snapshot of the limiter: borrowed and total tokens, borrowers, waiting acquisitions. */
  statistics(): CapacityLimiterStatistics {
    return Object.freeze({
      borrowedTokens: this.#borrowers.size,
      totalTokens: this.#total,
      borrowers: Object.freeze([...this.#borrowers]),
      tasksWaiting: this.#waiters.size,
    })
  }

  /** For logs: `CapacityLimiter(borrowed 2/4, 1 waiting)`. */
  toString(): string {
    return `CapacityLimiter(borrowed ${this.#borrowers.size}/${this.#total}, ${this.#waiters.size} waiting)`
  }

  #acquire<T>(borrower: unknown, implicit: boolean, signal: AbortSignal | undefined, value: T): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    try {
      this.#checkNotBorrowing(borrower)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#canTake()) {
      this.#grant(borrower, implicit)
      return Promise.resolve(value)
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { borrower, implicit, resolve: () => resolve(value), cleanup: undefined }
      if (signal !== undefined) {
        const onAbort = (): void => {
          // Served already? Then the promise is resolved and the token is the caller's.
          if (this.#waiters.get(borrower) !== waiter) return
          this.#waiters.delete(borrower)
          reject(signal.reason)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      this.#waiters.set(borrower, waiter)
    })
  }

  #acquireNowait(borrower: unknown, implicit: boolean): void {
    this.#checkNotBorrowing(borrower)
    if (!this.#canTake()) {
      throw new WouldBlockError(`No token free: ${this.#borrowers.size} of ${this.#total} borrowed, ${this.#waiters.size} waiting`)
    }
    this.#grant(borrower, implicit)
  }

  /** A token is free and nobody is ahead in the queue. */
  #canTake(): boolean {
    return this.#waiters.size === 0 && this.#borrowers.size < this.#total
  }

  #checkNotBorrowing(borrower: unknown): void {
    if (this.#borrowers.has(borrower)) {
      throw new AnythreadError('This borrower already holds a token of this limiter (one token per borrower)')
    }
    if (this.#waiters.has(borrower)) {
      throw new AnythreadError('This borrower is already waiting for a token of this limiter (one token per borrower)')
    }
  }

  #grant(borrower: unknown, implicit: boolean): void {
    this.#borrowers.add(borrower)
    if (implicit) this.#implicit.push(borrower as CapacityToken)
  }

  /** Hands free tokens to waiters, first come first served. */
  #wake(): void {
    // Deleting the entry being visited is safe while iterating a Map.
    for (const waiter of this.#waiters.values()) {
      if (this.#borrowers.size >= this.#total) return
      this.#waiters.delete(waiter.borrower)
      waiter.cleanup?.()
      this.#grant(waiter.borrower, waiter.implicit)
      waiter.resolve()
    }
  }
}

function checkTotal(value: number): number {
  if (value !== Infinity && (!Number.isInteger(value) || value < 1)) {
    throw new RangeError(`totalTokens must be an integer >= 1 or Infinity, got ${String(value)}`)
  }
  return value
}

/** Where the default limiter lives: a registered symbol, so that an ESM and a CJS copy of anythread loaded side by side share it. */
const defaultLimiterKey = Symbol.for('anythread.defaultThreadLimiter.v1')

/**
 * The limiter `run()` tasks take a token from unless given another: 40 tokens, as in
 * anyio. There is one per process, or more exactly one per JavaScript realm (each worker
 * thread has its own), created lazily on first use and shared by every bridge and by
 * every copy of anythread loaded in the realm (ESM and CJS alike). Set its `totalTokens`
 * to allow more or fewer `run()` tasks at once.
 */
export function defaultThreadLimiter(): CapacityLimiter {
  const realm = globalThis as unknown as Record<symbol, CapacityLimiter | undefined>
  let limiter = realm[defaultLimiterKey]
  if (limiter === undefined) {
    limiter = new CapacityLimiter(40)
    Object.defineProperty(globalThis, defaultLimiterKey, { value: limiter, enumerable: false, writable: false, configurable: false })
  }
  return limiter
}
