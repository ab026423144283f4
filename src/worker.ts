/**
 * `anythread/worker`: helpers for code that runs inside a worker module.
 *
 * A worker module needs none of this to be callable; its exports are called as they are.
 * Import these when a long call should notice that its caller gave up.
 */
import { markTransfer, tracker } from './worker-state.ts'

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
