import type { CapacityLimiter } from '../host/limiter.ts'

/**
 * Types that flow from a worker module to its caller: `bridge.load<typeof import('../m.js')>()`
 * checks export names and argument types and gives each call its awaited return type.
 */

// biome-ignore lint: `any` is needed for function variance here.
export type AnyFunction = (...args: any[]) => unknown

/** A worker module's shape when no type is given: any export, any arguments. */
export type AnyModule = Record<string, AnyFunction>

/** Names of a module's exports that are functions. */
export type ExportName<M> = {
  [K in keyof M]-?: M[K] extends AnyFunction ? K : never
}[keyof M] &
  string

/** Parameters of export `K`. */
export type ExportArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never

/** What a call of export `K` gives back: the awaited return value. */
export type ExportResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? Awaited<R> : never

/** Options of one call, set with `handle.with(options)`. */
export interface CallOptions {
  /**
   * Deadline of the call in milliseconds; `TimeoutError` after it. Default: the bridge's
   * `timeout` (no deadline unless set; a dead worker is still noticed at once).
   */
  readonly timeout?: number
  /**
   * Cancels the call. An already aborted signal throws its reason without calling. (A
   * thread blocked in `runSync` cannot see a signal abort meanwhile: use `timeout`.)
   */
  readonly signal?: AbortSignal
  /** ArrayBuffers (and other transferables) to move to the worker instead of copying. */
  readonly transfer?: readonly object[]
  /**
   * `run()` only: the `CapacityLimiter` whose token the task holds while it runs.
   * Default: the bridge's `limiter` (itself defaulting to `defaultThreadLimiter()`).
   */
  readonly limiter?: CapacityLimiter
  /**
   * `run()` only: on an abort (`signal`), reject at once and let the thread finish the task
   * in the background (it keeps its limiter token until it really finishes). Default: false,
   * which waits for the task to stop (up to the pool's `cancelGrace`) before rejecting, as
   * anyio does. A `timeout` always rejects at its deadline, and the thread drains the same
   * way in the background.
   */
  readonly abandonOnCancel?: boolean
}

/** A loaded worker module: call its exports by name. */
export interface ModuleHandle<M = AnyModule> {
  /** The module's URL. */
  readonly url: string
  /**
   * Calls export `name` on the bridge's worker and blocks this thread until it settles.
   * Returns its (awaited) value or throws its error, with the error's class, message,
   * `cause`, own properties, and a stack that shows the worker's and the caller's frames.
   */
  runSync<K extends ExportName<M>>(name: K, ...args: ExportArgs<M, K>): ExportResult<M, K>
  /**
   * Runs export `name` on a pool thread and returns a Promise of its (awaited) value: the
   * caller's event loop keeps running. Cancel with `with({ signal })` or `with({ timeout })`.
   */
  run<K extends ExportName<M>>(name: K, ...args: ExportArgs<M, K>): Promise<ExportResult<M, K>>
  /** The same module with these options on every call made through the result. */
  with(options: CallOptions): ModuleHandle<M>
}

/** What closes with `using` and `await using` (`Symbol.dispose` / `Symbol.asyncDispose`). */
export interface Closeable {
  /** Closes now (`close()` or `stop()`). */
  [Symbol.dispose](): void
  /** Closes; what this does first before it closes is the implementer's. */
  [Symbol.asyncDispose](): Promise<void>
}
