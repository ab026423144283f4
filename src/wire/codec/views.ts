/**
 * Per-buffer view cache, shared by the encoder and the decoder. V8 does not optimise element
 * access through length-tracking views on a growable SharedArrayBuffer (about 10x slower),
 * so we keep fixed-length views over the length we last saw and replace them when the
 * buffer has grown.
 */

import { SafeDataView, SafeWeakMap, Uint8ArrayCtor, sabByteLength, sabMaxByteLength } from './intrinsics.ts'

/** Fixed-length views over the first `len` bytes of a buffer whose maxByteLength is `max`. */
export interface Views {
  u8: Uint8Array
  dv: SafeDataView
  len: number
  max: number
}

let lastBuffer: SharedArrayBuffer | null = null
let lastViews: Views = { u8: new Uint8ArrayCtor(0), dv: new SafeDataView(new ArrayBuffer(0)), len: 0, max: 0 }
const viewCache = new SafeWeakMap<SharedArrayBuffer, Views>()

/** The cached views of `buffer` (created on first use); they may be shorter than the buffer if it has grown since: see refresh. */
export function viewsFor(buffer: SharedArrayBuffer): Views {
  if (buffer === lastBuffer) return lastViews
  let v = viewCache.get(buffer)
  if (v === undefined) {
    v = { u8: lastViews.u8, dv: lastViews.dv, len: -1, max: sabMaxByteLength(buffer) }
    refresh(buffer, v)
    viewCache.set(buffer, v)
  }
  lastBuffer = buffer
  lastViews = v
  return v
}

/** Re-reads the buffer's length and rebuilds the views if it has grown. */
export function refresh(buffer: SharedArrayBuffer, v: Views): void {
  const len = sabByteLength(buffer)
  if (len !== v.len) {
    v.u8 = new Uint8ArrayCtor(buffer, 0, len)
    v.dv = new SafeDataView(buffer, 0, len)
    v.len = len
  }
}
