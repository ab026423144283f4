/**
 * Wire format of the anythread codec: the tags, flags and numbering both sides agree on,
 * the limits, and the CodecFallback signal. No code that reads or writes a buffer lives here.
 *
 * The codec is a structured-clone-compatible binary encoding written straight into a
 * growable SharedArrayBuffer. Runtime-neutral (web-standard globals only).
 *
 * Wire format (all multi-byte integers little-endian, no alignment):
 *
 *   0x80..0xff            small int 0..127 (the tag is the value)
 *   0x01 / 0x02           undefined / null
 *   0x03 / 0x04           false / true
 *   0x05 i32              int32
 *   0x06 f64              any other number (-0, NaN, ±Infinity, fractions, big ints)
 *   0x07|0x08 u32 n, n×u64 bigint (+/-), magnitude in 64-bit little-endian words
 *   0x09 u8 n, n bytes    short latin1 string (n <= 255)
 *   0x0a u32 n, pad, n bytes   UTF-8 string (well-formed; payload 8-aligned)
 *   0x0b u32 n, 2n bytes  UTF-16LE string (lone surrogates)
 *   0x10 u32 id           back-reference to the id-th object (pre-order numbering)
 *   0x11 (key value)* 0   plain object; keys are string items
 *   0x12 u32 n, n values  dense array (no holes, no extra properties)
 *   0x13 u32 n, (key value)* 0   any other array (holes and/or extra properties)
 *   0x14 f64              Date
 *   0x15 source flags     RegExp (two string items)
 *   0x16 (key value)* 0   Map
 *   0x17 value* 0         Set
 *   0x18 u32 n, pad, n bytes   ArrayBuffer (payload 8-aligned)
 *   0x19 u8 kind, buffer-item, u32 byteOffset, u32 length   typed array / DataView
 *   0x1a u8 kind, u8 flags, name, [message], [stack], [errors], (key value)* 0, [cause]   Error
 *   0x1b u32 id           a function argument of the host (`CallbackRef`): only anythread writes it
 *
 * An error's cause comes after its end tag, so a chain of causes is a sequence, written and
 * read in a loop at one nesting level, however long the chain.
 *
 * Objects get ids in the order they are first met (the same order on both sides), which
 * gives identity and cycles. Strings and callbacks never get ids.
 */

/** Thrown when a value needs the runtime's own structured clone (platform objects such as Blob, MessagePort, boxed primitives, SharedArrayBuffer or views on one, resizable ArrayBuffers), when the platform clones it faster (an array of LARGE_ARRAY elements or more, outside an error), or the encoding would exceed maxBytes. The caller then falls back to postMessage. */
export class CodecFallback extends Error {
  constructor(message?: string) {
    super(message)
    this.name = 'CodecFallback'
  }
}

// ---------------------------------------------------------------------------------------
// Tags

export const T_END = 0x00
export const T_UNDEF = 0x01
export const T_NULL = 0x02
export const T_FALSE = 0x03
export const T_TRUE = 0x04
export const T_INT = 0x05
export const T_F64 = 0x06
export const T_BIGPOS = 0x07
export const T_BIGNEG = 0x08
export const T_L1 = 0x09
export const T_UTF8 = 0x0a
export const T_UTF16 = 0x0b
export const T_REF = 0x10
export const T_OBJ = 0x11
export const T_ARR = 0x12
export const T_ARRX = 0x13
export const T_DATE = 0x14
export const T_REGEXP = 0x15
export const T_MAP = 0x16
export const T_SET = 0x17
export const T_AB = 0x18
export const T_VIEW = 0x19
export const T_ERROR = 0x1a
export const T_CALLBACK = 0x1b
export const T_SMALL = 0x80

// ---------------------------------------------------------------------------------------
// Error flags: which optional parts follow an Error's name

export const E_MESSAGE = 1
export const E_STACK = 2
export const E_CAUSE = 4
export const E_ERRORS = 8
/** JavaScriptCore (Bun) keeps an error's position in own non-enumerable `line` and `column`, which a `.line = n` keeps hidden. */
export const E_POSITION = 16

// ---------------------------------------------------------------------------------------
// Kind bytes: the index of a view or error constructor in these lists

/** Kind byte of a T_VIEW item. */
export const VIEW_NAMES = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float16Array',
  'DataView',
] as const
export const VIEW_DATAVIEW = 12

/** Kind byte of a T_ERROR item. */
export const ERROR_NAMES = [
  'Error',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'AggregateError',
  'DOMException',
] as const
export const K_AGGREGATE = 7
export const K_DOMEXCEPTION = 8

// ---------------------------------------------------------------------------------------
// Limits and layout

/** Strings up to this length try the latin1 byte loop before TextEncoder. */
export const SHORT_STRING = 48
/**
 * Arrays this long or longer go to the platform's clone (CodecFallback) unless the caller
 * asks for inline only: telling a dense array from one with holes or extra properties needs
 * its own keys, and `Object.keys` makes a string per index, 5-20x the cost of structuredClone
 * of the whole array (V8 and JavaScriptCore alike). Below this the codec's own path is cheaper.
 */
export const LARGE_ARRAY = 1024
/** Nesting deeper than this falls back to postMessage (stack safety on every runtime). */
export const MAX_DEPTH = 1000

/** Rounds up to a multiple of 8: bulk copies between a SharedArrayBuffer and an ArrayBuffer are much faster on V8 when aligned. */
export function align8(p: number): number {
  return p + ((8 - (p & 7)) & 7)
}
