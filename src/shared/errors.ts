/**
 * The errors anythread raises itself. Errors thrown by worker code cross the thread
 * boundary with their own class (see `wire/codec/`); these classes describe what went wrong
 * with the bridge, not with the user's function.
 */

/** Base class of every error anythread raises on its own account. */
export class AnythreadError extends Error {
  /**
   * A stable code to branch on (`ERR_ANYTHREAD_*`), kept when the error crosses threads
   * and across copies of the package, where `instanceof` may not hold.
   */
  readonly code: string
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = (new.target as { readonly code?: string }).code ?? 'ERR_ANYTHREAD'
  }
}

/** A call did not settle before its deadline. Its late result is discarded. */
export class TimeoutError extends AnythreadError {
  /** `ERR_ANYTHREAD_TIMEOUT` */
  static readonly code = 'ERR_ANYTHREAD_TIMEOUT'
  /** The deadline that passed, in milliseconds. */
  readonly timeout: number
  constructor(message: string, timeout: number) {
    super(message)
    this.timeout = timeout
  }
}

/**
 * The worker thread died (exited, crashed, ran out of memory, was terminated) while it
 * owed a result. The next call starts a fresh worker.
 */
export class WorkerCrashedError extends AnythreadError {
  /** `ERR_ANYTHREAD_WORKER_CRASHED` */
  static readonly code = 'ERR_ANYTHREAD_WORKER_CRASHED'
  /** The worker's exit code, when the runtime reported one. */
  readonly exitCode: number | undefined
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options)
    this.exitCode = options?.exitCode
  }
}

/**
 * The worker module could not be used: it is missing, does not parse, throws while it is
 * evaluated, or lacks the export that was called. `cause` holds the underlying error.
 */
export class ModuleLoadError extends AnythreadError {
  /** `ERR_ANYTHREAD_MODULE_LOAD` */
  static readonly code = 'ERR_ANYTHREAD_MODULE_LOAD'
  /** The module's URL, as given to `load()`. */
  readonly moduleUrl: string
  constructor(message: string, moduleUrl: string, options?: { cause?: unknown }) {
    super(message, options)
    this.moduleUrl = moduleUrl
  }
}

/** A call that could never complete: it needs a thread that is blocked waiting for it. */
export class DeadlockError extends AnythreadError {
  /** `ERR_ANYTHREAD_DEADLOCK` */
  static readonly code = 'ERR_ANYTHREAD_DEADLOCK'
}

/** The bridge (or portal) was closed; no further calls are accepted. */
export class BridgeClosedError extends AnythreadError {
  /** `ERR_ANYTHREAD_CLOSED` */
  static readonly code = 'ERR_ANYTHREAD_CLOSED'
}

/** A portal task was cancelled (`future.cancel()`, or `portal.stop({ cancelRemaining: true })`). */
export class CancelledError extends AnythreadError {
  /** `ERR_ANYTHREAD_CANCELLED` */
  static readonly code = 'ERR_ANYTHREAD_CANCELLED'
}

/** A full pool queue refused a task (`pool.maxQueue`). */
export class QueueFullError extends AnythreadError {
  /** `ERR_ANYTHREAD_QUEUE_FULL` */
  static readonly code = 'ERR_ANYTHREAD_QUEUE_FULL'
}

/** `acquireNowait()` (or `acquireOnBehalfOfNowait()`) found no token it could take at once (anyio's `WouldBlock`). */
export class WouldBlockError extends AnythreadError {
  /** `ERR_ANYTHREAD_WOULD_BLOCK` */
  static readonly code = 'ERR_ANYTHREAD_WOULD_BLOCK'
}

const ours: Record<string, new (message: string) => Error> = {
  TimeoutError: TimeoutError as unknown as new (message: string) => Error,
  WorkerCrashedError,
  DeadlockError,
  BridgeClosedError,
  CancelledError,
  QueueFullError,
  WouldBlockError,
}

/**
 * Errors of our own classes that crossed a thread (a nested bridge inside a worker) arrive
 * as plain `Error`s named after their class; give them their class back so `instanceof`
 * works at every level.
 */
export function reviveOwnError(error: unknown): unknown {
  if (!(error instanceof Error) || Object.getPrototypeOf(error) !== Error.prototype) return error
  if (error.name === 'ModuleLoadError') {
    const moduleUrl = String((error as { moduleUrl?: unknown }).moduleUrl ?? '')
    return adopt(error, new ModuleLoadError(error.message, moduleUrl))
  }
  const ctor = ours[error.name]
  if (ctor === undefined) return error
  return adopt(error, new ctor(error.message))
}

function adopt(from: Error, to: Error): Error {
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'name') continue
    Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key)!)
  }
  return to
}

/**
 * Appends the caller's frames to an error that came from a worker, so its stack reads
 * from the worker function down to the line that made the call.
 */
export function appendCallerStack(error: unknown, caller: Error): unknown {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return error
  const frames = callerFrames(caller)
  if (frames === '') return error
  const stack = `${error.stack}\n    --- called from another thread ---\n${frames}`
  Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false })
  return error
}

function callerFrames(caller: Error): string {
  const stack = caller.stack ?? ''
  // Keep only frame lines: V8 writes "    at f (file:1:2)", JavaScriptCore "f@file:1:2".
  const lines = stack.split('\n')
  const start = /^\s+at /.test(lines[1] ?? '') || lines[0]?.startsWith('Error') ? 1 : 0
  return lines
    .slice(start)
    .filter((line) => line.trim() !== '')
    .map((line) => (/^\s+at /.test(line) ? line : `    at ${line.trim()}`))
    .join('\n')
}

/**
 * Runtimes report load failures with their own error classes (Bun's BuildMessage and
 * ResolveMessage) that structured clone refuses; carry those as plain errors.
 */
export function portable(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DOMException) return error
  if (Object.prototype.toString.call(error) === '[object Error]') return error
  const copy = plainError(error)
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') (copy as { code?: string }).code = code
  return copy
}

/**
 * An error the codec and structured clone can always carry: name, message, stack. The name
 * is an own property only where it differs from `Error`'s, and never enumerable (as on an
 * error that crossed by structured clone).
 */
export function plainError(error: unknown): Error {
  const copy = error instanceof DOMException ? new DOMException(error.message, error.name) : new Error(errorMessage(error))
  if (error instanceof Error) {
    if (!(copy instanceof DOMException) && copy.name !== error.name) {
      Object.defineProperty(copy, 'name', { value: error.name, writable: true, configurable: true, enumerable: false })
    }
    if (typeof error.stack === 'string') Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, configurable: true })
  }
  return copy
}

/** The message of an error, or the value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
