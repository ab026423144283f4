/**
 * `CapacityLimiter`, after anyio: a pool of tokens that bounds how many tasks run at once.
 *
 * JavaScript has no "current task" for a limiter to attribute a token to, so `acquire()`
 * hands back a token object (release it, or `using` it); `acquireOnBehalfOf(borrower)`
 * names the borrower explicitly, as anyio's does, and `release()` with no argument
 * releases the newest token taken without a borrower.
 */
import { AnythreadError } from './errors.ts'

/** `acquireNowait()` found no free token. */
export class WouldBlockError extends AnythreadError {}

/** A snapshot of a limiter, from {@link CapacityLimiter.statistics}. */
export interface CapacityLimiterStatistics {
  readonly borrowedTokens: number
  readonly totalTokens: number
  /** Current borrowers, in the order they took their tokens. */
  readonly borrowers: readonly unknown[]
  /** Acquisitions waiting for a token. */
  readonly tasksWaiting: number
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')

/** A borrowed token. Release it once; `using token = await limiter.acquire()` does that. */
export class CapacityToken {
  #limiter: CapacityLimiter | undefined
  constructor(limiter: CapacityLimiter) {
    this.#limiter = limiter
  }

  /** Gives the token back. Throws if it was already given back. */
  release(): void {
    const limiter = this.#limiter
    if (limiter === undefined) throw new AnythreadError('This token was already released')
    this.#limiter = undefined
    limiter.releaseOnBehalfOf(this)
  }

  [disposeSymbol](): void {
    if (this.#limiter !== undefined) this.release()
  }
}

interface Waiter {
  readonly borrower: unknown
  readonly resolve: () => void
  readonly reject: (reason: unknown) => void
  cleanup?: () => void
}

export class CapacityLimiter {
  #total: number
  readonly #borrowers = new Set<unknown>()
  readonly #waiters: Waiter[] = []
  readonly #implicit: CapacityToken[] = []

  /** @param totalTokens how many tokens there are: an integer >= 1, or `Infinity`. */
  constructor(totalTokens: number) {
    this.#total = checkTotal(totalTokens)
  }

  /** How many tokens there are. Raising it hands the new tokens to waiters at once (FIFO); lowering it revokes nothing already borrowed. */
  get totalTokens(): number {
    return this.#total
  }

  set totalTokens(value: number) {
    this.#total = checkTotal(value)
    this.#wake()
  }

  get borrowedTokens(): number {
    return this.#borrowers.size
  }

  get availableTokens(): number {
    return Math.max(0, this.#total - this.#borrowers.size)
  }

  /**
   * Waits for a token (FIFO) and resolves to it. An aborted `signal` rejects with its
   * reason and takes no token.
   */
  async acquire(options?: { signal?: AbortSignal }): Promise<CapacityToken> {
    const token = new CapacityToken(this)
    await this.acquireOnBehalfOf(token, options)
    return this.#rememberImplicit(token)
  }

  /** Takes a token without waiting, or throws `WouldBlockError`. */
  acquireNowait(): CapacityToken {
    const token = new CapacityToken(this)
    this.acquireOnBehalfOfNowait(token)
    return this.#rememberImplicit(token)
  }

  /**
   * Waits for a token for `borrower`. A borrower holds at most one token: asking again
   * throws. An aborted `signal` rejects with its reason and takes no token.
   */
  acquireOnBehalfOf(borrower: unknown, options?: { signal?: AbortSignal }): Promise<void> {
    try {
      this.#checkNotBorrowing(borrower)
    } catch (error) {
      return Promise.reject(error)
    }
    const signal = options?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#waiters.length === 0 && this.#borrowers.size < this.#total) {
      this.#borrowers.add(borrower)
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { borrower, resolve, reject }
      if (signal !== undefined) {
        const onAbort = (): void => {
          const at = this.#waiters.indexOf(waiter)
          if (at === -1) return // already served: the token is the caller's
          this.#waiters.splice(at, 1)
          reject(signal.reason)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      this.#waiters.push(waiter)
    })
  }

  /** Takes a token for `borrower` without waiting, or throws `WouldBlockError`. Never jumps the queue. */
  acquireOnBehalfOfNowait(borrower: unknown): void {
    this.#checkNotBorrowing(borrower)
    if (this.#waiters.length > 0 || this.#borrowers.size >= this.#total) {
      throw new WouldBlockError(`No token free (${this.#borrowers.size} of ${this.#total} borrowed, ${this.#waiters.length} waiting)`)
    }
    this.#borrowers.add(borrower)
  }

  /** Releases the newest token taken by `acquire()`/`acquireNowait()` (anyio's `release()`). Prefer `token.release()`. */
  release(): void {
    const token = this.#implicit.pop()
    if (token === undefined) throw new AnythreadError('release(): no token taken with acquire() is held')
    token.release()
  }

  /** Gives back `borrower`'s token; throws if it holds none. The next waiter gets it. */
  releaseOnBehalfOf(borrower: unknown): void {
    if (!this.#borrowers.delete(borrower)) {
      throw new AnythreadError("releaseOnBehalfOf(): this borrower holds no token of this limiter")
    }
    if (borrower instanceof CapacityToken) {
      const at = this.#implicit.lastIndexOf(borrower)
      if (at !== -1) this.#implicit.splice(at, 1)
    }
    this.#wake()
  }

  statistics(): CapacityLimiterStatistics {
    return {
      borrowedTokens: this.#borrowers.size,
      totalTokens: this.#total,
      borrowers: [...this.#borrowers],
      tasksWaiting: this.#waiters.length,
    }
  }

  #rememberImplicit(token: CapacityToken): CapacityToken {
    this.#implicit.push(token)
    return token
  }

  #checkNotBorrowing(borrower: unknown): void {
    if (this.#borrowers.has(borrower) || this.#waiters.some((waiter) => waiter.borrower === borrower)) {
      throw new AnythreadError('This borrower already holds (or waits for) a token of this limiter')
    }
  }

  /** Hands free tokens to waiters, first come first served. */
  #wake(): void {
    while (this.#waiters.length > 0 && this.#borrowers.size < this.#total) {
      const waiter = this.#waiters.shift()!
      waiter.cleanup?.()
      this.#borrowers.add(waiter.borrower)
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

let defaultLimiter: CapacityLimiter | undefined

/**
 * The limiter `run()` uses unless given another: one per process (per realm), 40 tokens
 * as in anyio. Change its `totalTokens` to allow more or fewer tasks at once.
 */
export function defaultThreadLimiter(): CapacityLimiter {
  return (defaultLimiter ??= new CapacityLimiter(40))
}
