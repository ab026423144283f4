/**
 * `anythread/worker`: helpers for code that runs inside a worker module.
 *
 * A worker module needs none of this to be callable; its exports are called as they are.
 * Import these when a long call should notice that its caller gave up.
 *
 * @module anythread/worker
 */
import { CALLBACK_ID, markTransfer, tracker } from './state.ts'

/**
 * The bridge's `workerData` option (`createBridge({ workerData })`): a structured clone,
 * one per thread, read when this module is first imported in the thread. `undefined`
 * outside an anythread worker, or when the bridge gave none.
 */
export const workerData: unknown = tracker()?.workerData

/**
 * Throws the cancellation reason (a `DOMException` named `TimeoutError` or `AbortError`)
 * if the caller has given up on the current call. Cheap enough to call in a hot loop of
 * synchronous CPU work: it reads one shared-memory word.
 */
export function checkCancelled(): void {
  const calls = tracker()
  if (calls === undefined || calls.activeSeq === 0) return
  if (calls.isCancelled(calls.activeSeq)) throw calls.reasonFor(calls.activeSeq)
}

/**
 * The `AbortSignal` of the current call: it aborts when the caller gives up (deadline or
 * cancellation). Read it at the start of an async export, before its first `await`, so
 * it belongs to that call. Outside a call it returns a signal that never aborts.
 */
export function currentSignal(): AbortSignal {
  const calls = tracker()
  if (calls === undefined || calls.activeSeq === 0) return new AbortController().signal
  const seq = calls.activeSeq
  let controller = calls.controllers.get(seq)
  if (controller === undefined) {
    controller = new AbortController()
    calls.controllers.set(seq, controller)
    if (calls.isCancelled(seq)) controller.abort(calls.reasonFor(seq))
  }
  return controller.signal
}

/**
 * Returns `value` to the caller moving the buffers in `list` instead of copying them
 * (they become detached here): `return transfer(bytes, [bytes.buffer])`.
 */
export function transfer<T>(value: T, list: readonly object[]): T {
  if (!Array.isArray(list)) throw new TypeError('transfer(value, list): list must be an array of transferables')
  return markTransfer(value, list) as unknown as T
}

/** A host function: a name from the bridge's `expose`, or a callback this call received. */
export type HostTarget = string | ((...args: never[]) => unknown)

function resolveTarget(target: HostTarget, method: string): { id: string | number; calls: NonNullable<ReturnType<typeof tracker>> } {
  const calls = tracker()
  if (calls === undefined) throw new TypeError(`fromThread.${method}() works only inside an anythread worker`)
  if (typeof target === 'string') return { id: target, calls }
  const id = (target as { [CALLBACK_ID]?: unknown })?.[CALLBACK_ID]
  if (typeof id !== 'number') throw new TypeError(`fromThread.${method}(): pass an exposed function's name or a callback this call received`)
  return { id, calls }
}

/** The shape of {@link fromThread}. */
export interface FromThread {
  /** Calls the host function and resolves with its (awaited) result. */
  run(target: HostTarget, ...args: unknown[]): Promise<unknown>
  /**
   * Calls the host function and blocks this thread until it answers. If the host is
   * blocked in `runSync` and the function returns a Promise, this throws `DeadlockError`.
   */
  runSync(target: HostTarget, ...args: unknown[]): unknown
}

/**
 * Calls back into the host thread, after anyio's `from_thread`: a function the bridge
 * exposes (`createBridge({ expose })`), by name, or a function the caller passed as an
 * argument (which arrives here as a proxy).
 */
export const fromThread: FromThread = {
  run(target: HostTarget, ...args: unknown[]): Promise<unknown> {
    try {
      const { id, calls } = resolveTarget(target, 'run')
      return calls.reverse.call(id, args)
    } catch (error) {
      return Promise.reject(error)
    }
  },
  runSync(target: HostTarget, ...args: unknown[]): unknown {
    const { id, calls } = resolveTarget(target, 'runSync')
    return calls.reverse.callSync(id, args)
  },
}
