/**
 * The anythread codec: a structured-clone-compatible binary encoding written straight into a
 * growable SharedArrayBuffer (wire format: `format.ts`). This is its public surface.
 */

export { CodecFallback } from './format.ts'
export { encodeInto } from './encode.ts'
export { decodeFrom } from './decode.ts'
export { dataCloneError } from './uncloneable.ts'
export { CallbackRef, liftCallbacks, restoreCallbacks } from './callback.ts'
export { carryable } from './carry.ts'
export { setProxyProbe } from './intrinsics.ts'
