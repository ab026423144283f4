/**
 * A portal task's future, after `concurrent.futures.Future`: block on it (`result()`),
 * await it, or cancel it. It makes a Promise only on the first `then()`: a future only
 * ever blocked on needs none.
 */
import { CancelledError } from '../shared/errors.ts'
import type { PortalFuture } from './portal.ts'
import { checkTimeout } from './validate.ts'

/** What a future asks of its portal. */
export interface FutureOwner {
  /** Blocks until `future` settles; `TimeoutError` after `timeout` ms (the task goes on). */
  waitFor(future: Future<unknown>, timeout: number): void
  /** Reads the answer of `future`'s task if it has been sent. */
  poll(future: Future<unknown>): void
  /** Settles `future` as cancelled with `reason` and tells the worker. */
  cancelled(future: Future<unknown>, reason: unknown): void
}

const Pending = 0
const Fulfilled = 1
const Rejected = 2

export class Future<T> implements PortalFuture<T> {
  private outcome = Pending
  private isCancelled = false
  private value: unknown
  /** Made on the first `then()`: a future only ever blocked on needs no Promise. */
  private settled: { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } | undefined
  private whenSettled: (() => void) | undefined

  constructor(
    private readonly portal: FutureOwner,
    /** The task's number on its portal. */
    readonly id: number,
  ) {}

  /** The future as a Promise. */
  get promise(): Promise<T> {
    if (this.settled === undefined) {
      if (this.outcome === Fulfilled) return Promise.resolve(this.value as T)
      if (this.outcome === Rejected) return Promise.reject(this.value)
      let resolve!: (value: T) => void
      let reject!: (error: unknown) => void
      const promise = new Promise<T>((yes, no) => {
        resolve = yes
        reject = no
      })
      this.settled = { promise, resolve, reject }
    }
    return this.settled.promise
  }

  /** Runs `fn` once the future settles (one callback: the portal's cancellation watch). */
  onSettled(fn: () => void): void {
    this.whenSettled = fn
  }

  /** Settles once; returns false if it had settled already. */
  settle(ok: boolean, value: unknown, cancelled = false): boolean {
    if (this.outcome !== Pending) return false
    this.outcome = ok ? Fulfilled : Rejected
    this.isCancelled = cancelled
    this.value = value
    this.whenSettled?.()
    this.whenSettled = undefined
    if (ok) this.settled?.resolve(value as T)
    else this.settled?.reject(value)
    return true
  }

  result(timeout?: number): T {
    const limit = checkTimeout(timeout, 'result(timeout)')
    if (this.outcome === Pending) this.portal.waitFor(this as Future<unknown>, limit)
    if (this.outcome === Fulfilled) return this.value as T
    throw this.value
  }

  // biome-ignore lint/suspicious/noThenProperty: a future is awaitable on purpose (PromiseLike).
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise.then(onFulfilled, onRejected)
  }

  done(): boolean {
    if (this.outcome === Pending) this.portal.poll(this as Future<unknown>)
    return this.outcome !== Pending
  }

  cancelled(): boolean {
    return this.isCancelled
  }

  cancel(reason: unknown = new CancelledError('The task was cancelled')): boolean {
    if (this.outcome !== Pending) return false
    this.portal.cancelled(this as Future<unknown>, reason)
    return true
  }
}
