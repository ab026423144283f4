/**
 * What bounds the life of calls and of the process, shared by the pool and the portal:
 * a call's cancellation (its signal and its deadline), the process kept alive while work
 * is owed, and the dispose symbols.
 */
import type { Backend } from '../shared/backend.ts'
import { TimeoutError } from '../shared/errors.ts'
import { now } from '../shared/wait-policy.ts'
import { CallDeadline, schedule } from './wait.ts'

/** `Symbol.dispose`, or the registered symbol transpilers and polyfills use where it is missing. */
export const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')
export const asyncDisposeSymbol: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')

/** How often a deadline looks again while its call's thread is starting (when nobody says it ended). */
const STARTUP_POLL_MILLIS = 10

/** What a call's cancellation watches. */
export interface CancelSource {
  readonly name: string
  readonly url: string
  readonly signal?: AbortSignal | undefined
  readonly timeout: number
}

/**
 * Watches a call's signal and deadline, and calls `cancel` once with the reason when either
 * fires. The deadline is a `CallDeadline`: time spent starting (`starting()` true) does not
 * count, and is bounded by `startupTimeout` instead. The timer looks again every few ms
 * while the thread starts; `startupChanged()` makes it follow at once.
 */
export class CancelWatch {
  private timer: unknown
  private onAbort: (() => void) | undefined
  private readonly signal: AbortSignal | undefined
  private readonly check: () => void
  private sawStarting = false
  private ended = false

  constructor(
    source: CancelSource,
    options: { readonly backend: Backend; readonly startupTimeout: number },
    starting: () => boolean,
    cancel: (reason: unknown, kind: 'abort' | 'timeout') => void,
  ) {
    const { signal, timeout, name, url } = source
    this.signal = signal
    if (signal !== undefined) {
      this.onAbort = () => cancel(signal.reason, 'abort')
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
    // With no timeout the deadline still bounds start-up: a module that never loads fails.
    const deadline = new CallDeadline(timeout, options.startupTimeout, starting)
    this.check = () => {
      this.timer = undefined
      if (this.ended) return
      const time = now()
      const verdict = deadline.check(time)
      if (verdict === 'running') {
        // While the thread starts, look again soon: the end of start-up restarts the clock.
        const next = deadline.inStartup ? Math.min(STARTUP_POLL_MILLIS, deadline.remaining(time)) : deadline.remaining(time)
        if (Number.isFinite(next)) this.timer = schedule(options.backend, this.check, Math.max(1, next))
      } else if (verdict === 'timeout') {
        cancel(new TimeoutError(`run('${name}') on ${url} timed out after ${timeout} ms`, timeout), 'timeout')
      } else {
        const limit = options.startupTimeout
        cancel(new TimeoutError(`run('${name}'): ${url} did not start within startupTimeout (${limit} ms)`, limit), 'timeout')
      }
    }
    if (Number.isFinite(timeout)) this.timer = schedule(options.backend, this.check, timeout)
  }

  /** The call's thread moved into or out of start-up: the deadline shifts. Cheap when nothing changed. */
  startupChanged(starting: boolean): void {
    if (starting === this.sawStarting || this.ended) return
    this.sawStarting = starting
    if (this.timer !== undefined) clearTimeout(this.timer as ReturnType<typeof setTimeout>)
    this.check()
  }

  /** Stops listening for the signal and the deadline. */
  stop(): void {
    this.ended = true
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort)
    this.onAbort = undefined
    if (this.timer !== undefined) clearTimeout(this.timer as ReturnType<typeof setTimeout>)
    this.timer = undefined
  }
}

/**
 * Keeps the process alive while work is owed: a pending `Atomics.waitAsync` does not (on
 * Node and Deno), and idle threads are unref'd.
 */
export class KeepAlive {
  private interval: ReturnType<typeof setInterval> | undefined

  hold(): void {
    this.interval ??= setInterval(() => {}, 1 << 30)
  }

  release(): void {
    if (this.interval !== undefined) clearInterval(this.interval)
    this.interval = undefined
  }
}
