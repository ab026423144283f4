/**
 * Per-thread state shared between the serve loop and `anythread/worker`.
 *
 * It hangs off `globalThis` under a registered symbol so that every copy of anythread
 * loaded in the worker (ESM and CJS builds, the TypeScript sources under Deno) sees the
 * same calls, whichever copy the user's module imports.
 */

export interface CallTracker {
  /** The call whose code runs now, or ran last and has not settled; 0 when none. */
  activeSeq: number
  /** Calls the host gave up on (deadline or abort), with the reason. */
  isCancelled(seq: number): boolean
  reasonFor(seq: number): unknown
  /** Abort controllers, made on demand by `currentSignal()`. */
  readonly controllers: Map<number, AbortController>
  /** Calls back into the host (`fromThread`). */
  readonly reverse: ReverseClient
  /** The bridge's `workerData` (a copy per thread). */
  readonly workerData: unknown
}

import type { ReverseClient } from './reverse-client.ts'

const KEY = Symbol.for('anythread.worker.calls.v1')

/** Marks the proxy a callback argument becomes in the worker, with its id. */
export const CALLBACK_ID = Symbol.for('anythread.callback.v1')

type WithTracker = { [KEY]?: CallTracker }

/** The tracker of this thread, if it serves a bridge. */
export function tracker(): CallTracker | undefined {
  return (globalThis as WithTracker)[KEY]
}

/** Installs the tracker (once per thread, by the serve loop). */
export function installTracker(value: CallTracker): void {
  ;(globalThis as WithTracker)[KEY] = value
}

/** Builds the reason a cancelled call sees: a DOMException, as `AbortSignal` uses. */
export function cancelReason(kind: 'timeout' | 'abort'): DOMException {
  return kind === 'timeout'
    ? new DOMException('The call timed out on the caller side', 'TimeoutError')
    : new DOMException('The call was cancelled by the caller', 'AbortError')
}

const TRANSFER = Symbol.for('anythread.transfer.v1')

/** A result to move (not copy) back to the caller; made by `transfer()` in `anythread/worker`. */
export interface TransferResult {
  readonly [TRANSFER]: true
  readonly value: unknown
  readonly list: readonly object[]
}

export function markTransfer(value: unknown, list: readonly object[]): TransferResult {
  return { [TRANSFER]: true, value, list }
}

export function isTransfer(value: unknown): value is TransferResult {
  return typeof value === 'object' && value !== null && (value as { [TRANSFER]?: unknown })[TRANSFER] === true
}
