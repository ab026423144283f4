/**
 * The encoder: `encodeInto` and the hot part of encoding, which owns the write state
 * (buffer, views, position, limits, depth, object ids): primitives, strings, plain objects,
 * arrays and the dispatch on a value's type. Other built-in objects (Date, RegExp, Map,
 * Set, ArrayBuffer, views, errors) are written by `encode-builtins.ts` through the small
 * writer interface exported here.
 */

import { CodecFallback, align8 } from './format.ts'
import * as format from './format.ts'
// biome-ignore format: a table of names, packed: one a line would add dozens of lines for nothing
import {
  ObjectProto, SafeDataView, SafeMap, StringCtor, Uint8ArrayCtor, asUintN, charCodeAt, encodeUtf8Into, getProto, isArray, isProxy,
  isView, isWellFormed, objectKeys, sabByteLength, sabGrow, stringMethodsIntact, stringSlice, u8Set,
} from './intrinsics.ts'
import { refresh, viewsFor } from './views.ts'
import { Uncloneable, isIndexKey, isStackOverflow, keySegment, uncloneableError, withPath } from './uncloneable.ts'
import { encSpecial, encView } from './encode-builtins.ts'

// Tags and limits as module-local constants: V8 does not constant-fold imported bindings, and
// the hot paths below test or write them for every value (measured: 5-10% on small messages).
// biome-ignore format: a table of names, packed: one a line would add dozens of lines for nothing
const {
  T_ARR, T_ARRX, T_BIGNEG, T_BIGPOS, T_END, T_F64, T_FALSE, T_INT, T_L1, T_NULL, T_OBJ, T_REF, T_SMALL, T_TRUE, T_UNDEF, T_UTF16, T_UTF8, MAX_DEPTH,
  SHORT_STRING, LARGE_ARRAY,
} = format

// --- Encoder state (module-level to avoid per-call allocation; saved when re-entered) ---

let eBuf: SharedArrayBuffer = new SharedArrayBuffer(0)
let eU8: Uint8Array = new Uint8ArrayCtor(0)
let eDV: SafeDataView = new SafeDataView(new ArrayBuffer(0))
let ePos = 0
let eCap = 0 // writable limit: min(byteLength, eHard)
let eHard = 0 // absolute limit: min(maxByteLength, offset + maxBytes)
let eDepth = 0
let eNextId = 0
let eSeen: SafeMap<object, number> = new SafeMap()
let eActive = false
/** Whether a large array may go to the platform's clone (see LARGE_ARRAY): encodeInto's `inlineOnly`, negated. */
let ePlatform = true
/** Whether String.prototype.charCodeAt is the built-in (checked once per encodeInto): see intrinsics.ts. */
let eStringsIntact = true

function grow(need: number, want: number): void {
  if (need > eHard) throw new CodecFallback(`encoding exceeds the byte limit (${eHard} bytes)`)
  const cur = sabByteLength(eBuf)
  if (cur < need) {
    let target = cur * 2
    if (target < want) target = want
    if (target < need) target = need
    if (target > eHard) target = eHard
    try {
      sabGrow(eBuf, target)
    } catch (e) {
      // another thread may have grown it meanwhile; anything else is a real failure
      if (sabByteLength(eBuf) < need) throw new CodecFallback(`cannot grow the shared buffer: ${StringCtor(e)}`)
    }
  }
  const v = viewsFor(eBuf)
  refresh(eBuf, v)
  eU8 = v.u8
  eDV = v.dv
  eCap = v.len < eHard ? v.len : eHard
}

/** Makes room for n more bytes at the write position (growing the buffer), or throws CodecFallback. */
export function ensure(n: number): void {
  if (ePos + n > eCap) grow(ePos + n, ePos + n)
}

// --- Writer interface for encode-builtins.ts (the caller has made room with ensure first) ---

/** Writes one byte (a tag, a kind, flags). */
export function writeByte(b: number): void {
  eU8[ePos++] = b
}

/** The write position. */
export function position(): number {
  return ePos
}

/** Overwrites the byte written at `at`. */
export function patchByte(at: number, b: number): void {
  eU8[at] = b
}

export function writeU32(v: number): void {
  eDV.setUint32(ePos, v, true)
  ePos += 4
}

export function writeF64(v: number): void {
  eDV.setFloat64(ePos, v, true)
  ePos += 8
}

/** Copies `bytes` to the next 8-aligned position (the padding is left as it was). */
export function writeAligned(bytes: Uint8Array): void {
  const at = align8(ePos)
  u8Set(eU8, bytes, at)
  ePos = at + bytes.length
}

/** Sets whether a large array may go to the platform's clone (see LARGE_ARRAY); returns the previous setting. */
export function allowPlatform(allow: boolean): boolean {
  const was = ePlatform
  ePlatform = allow
  return was
}

/** Ends a container entered with enter(): writes T_END and steps one level out. */
export function endContainer(): void {
  ensure(1)
  eU8[ePos++] = T_END
  eDepth--
}

// --- Primitives ---

export function encString(s: string): void {
  if (!eStringsIntact) return encStringSafe(s)
  const n = s.length
  if (n <= SHORT_STRING) {
    ensure(2 + n)
    const u8 = eU8
    const p = ePos + 2
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c > 0xff) break
      u8[p + i] = c
    }
    if (i === n) {
      u8[ePos] = T_L1
      u8[ePos + 1] = n
      ePos = p + n
      return
    }
  }
  if (isWellFormed(s)) encUtf8(s)
  else encUtf16(s)
}

/**
 * encString for when String.prototype.charCodeAt has been replaced: no Latin-1 short form
 * (it would need the method per character), UTF-8 or UTF-16 instead; the decoder reads
 * every form the same.
 */
function encStringSafe(s: string): void {
  if (isWellFormed(s)) encUtf8(s)
  else encUtf16(s)
}

function encUtf8(s: string): void {
  const n = s.length
  ensure(12 + n)
  const start = align8(ePos + 5)
  let w = start
  let read = 0
  for (;;) {
    const r = encodeUtf8Into(read === 0 ? s : stringSlice(s, read), new Uint8ArrayCtor(eBuf, w, eCap - w))
    read += r.read
    w += r.written
    if (read >= n) break
    // it did not fit: we need more than the space we had, and at least one byte per unit left
    const rest = n - read
    const need = w + rest > eCap + 1 ? w + rest : eCap + 1
    grow(need, w + rest * 3)
  }
  eU8[ePos] = T_UTF8
  eDV.setUint32(ePos + 1, w - start, true)
  ePos = w
}

function encUtf16(s: string): void {
  const n = s.length
  ensure(5 + 2 * n)
  const u8 = eU8
  u8[ePos] = T_UTF16
  eDV.setUint32(ePos + 1, n, true)
  let p = ePos + 5
  if (eStringsIntact) {
    for (let i = 0; i < n; i++, p += 2) {
      const c = s.charCodeAt(i)
      u8[p] = c & 0xff
      u8[p + 1] = c >>> 8
    }
  } else {
    for (let i = 0; i < n; i++, p += 2) {
      const c = charCodeAt(s, i)
      u8[p] = c & 0xff
      u8[p + 1] = c >>> 8
    }
  }
  ePos = p
}

function encNumber(v: number): void {
  if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
    if (v >= 0 && v < 128) {
      ensure(1)
      eU8[ePos++] = T_SMALL | v
    } else {
      ensure(5)
      eU8[ePos] = T_INT
      eDV.setInt32(ePos + 1, v, true)
      ePos += 5
    }
  } else {
    ensure(9)
    eU8[ePos] = T_F64
    eDV.setFloat64(ePos + 1, v, true)
    ePos += 9
  }
}

function encBigInt(v: bigint): void {
  const neg = v < 0n
  let m = neg ? -v : v
  ensure(5)
  eU8[ePos] = neg ? T_BIGNEG : T_BIGPOS
  const at = ePos + 1
  ePos += 5
  let words = 0
  while (m > 0n) {
    ensure(8)
    eDV.setBigUint64(ePos, asUintN(64, m), true)
    ePos += 8
    m >>= 64n
    words++
  }
  eDV.setUint32(at, words, true)
}

// --- Values and objects ---

export function enc(v: unknown): void {
  switch (typeof v) {
    case 'number':
      encNumber(v)
      return
    case 'string':
      encString(v)
      return
    case 'boolean':
      ensure(1)
      eU8[ePos++] = v ? T_TRUE : T_FALSE
      return
    case 'undefined':
      ensure(1)
      eU8[ePos++] = T_UNDEF
      return
    case 'object':
      if (v === null) {
        ensure(1)
        eU8[ePos++] = T_NULL
      } else {
        encObject(v)
      }
      return
    case 'bigint':
      encBigInt(v)
      return
    default: // function, symbol
      throw new Uncloneable(typeof v)
  }
}

/** Identity tracking: a linear list for the first few objects (no Map traffic on small calls), then a Map. */
const SEEN_SMALL = 16
let eSmall: object[] = []

/** The id of `o` if it was met before in this encoding. */
export function lookup(o: object): number | undefined {
  const n = eNextId
  if (n <= SEEN_SMALL) {
    const small = eSmall
    for (let i = 0; i < n; i++) if (small[i] === o) return i
    return undefined
  }
  return eSeen.get(o)
}

/** Gives `o` the next object id (the decoder numbers objects in the same order). */
export function remember(o: object): void {
  const id = eNextId++
  if (id < SEEN_SMALL) {
    eSmall[id] = o
    return
  }
  if (id === SEEN_SMALL) for (let i = 0; i < SEEN_SMALL; i++) eSeen.set(eSmall[i] as object, i)
  eSeen.set(o, id)
}

/** Where the encoder is: `rollBack` returns there, as if nothing had been written since. */
export interface SavePoint {
  readonly pos: number
  readonly ids: number
  readonly depth: number
}

export function savePoint(): SavePoint {
  return { pos: ePos, ids: eNextId, depth: eDepth }
}

/** Drops everything written since `at`, including the ids of the objects met since. */
export function rollBack(at: SavePoint): void {
  const n = eNextId
  const from = at.ids
  if (n > SEEN_SMALL) {
    if (from <= SEEN_SMALL)
      eSeen.clear() // lookup goes back to the small list, which is still right below `from`
    else
      eSeen.forEach((id, o) => {
        if (id >= from) eSeen.delete(o)
      })
  }
  for (let i = from; i < n && i < SEEN_SMALL; i++) eSmall[i] = undefined as unknown as object
  eNextId = from
  ePos = at.pos
  eDepth = at.depth
}

export function encObject(o: object): void {
  const id = lookup(o)
  if (id !== undefined) {
    ensure(5)
    eU8[ePos] = T_REF
    eDV.setUint32(ePos + 1, id, true)
    ePos += 5
    return
  }
  // Before anything else touches it: a Proxy's traps must not run (structuredClone runs none).
  if (isProxy?.(o)) throw new Uncloneable('Proxy')
  const proto = getProto(o) as unknown
  if (proto === ObjectProto || proto === null) {
    remember(o)
    encPlain(o)
  } else if (isArray(o)) {
    remember(o)
    encArray(o as unknown[])
  } else if (isView(o)) {
    encView(o)
  } else {
    encSpecial(o)
  }
}

/** Steps one level into a container, or throws CodecFallback past MAX_DEPTH. */
export function enter(): void {
  if (++eDepth > MAX_DEPTH) throw new CodecFallback('value nested too deeply')
}

export function encPlain(o: object): void {
  enter()
  ensure(1)
  eU8[ePos++] = T_OBJ
  encProps(o, objectKeys(o), 0)
  ensure(1)
  eU8[ePos++] = T_END
  eDepth--
}

/** Writes key/value pairs for keys[from..]. */
function encProps(o: object, keys: string[], from: number): void {
  const rec = o as Record<string, unknown>
  let i = from
  try {
    for (; i < keys.length; i++) {
      const k = keys[i] as string
      encString(k)
      enc(rec[k])
    }
  } catch (e) {
    throw withPath(e, isArray(o) && i < keys.length && isIndexKey(keys[i] as string) ? '[' + keys[i] + ']' : keySegment(keys[i] as string))
  }
}

function encArray(a: unknown[]): void {
  const n = a.length
  if (n >= LARGE_ARRAY && ePlatform) throw new CodecFallback(`an array of ${n} elements: the platform clones it faster`)
  enter()
  const keys = objectKeys(a)
  ensure(5)
  if (keys.length === n && (n === 0 || keys[n - 1] === '' + (n - 1))) {
    eU8[ePos] = T_ARR
    eDV.setUint32(ePos + 1, n, true)
    ePos += 5
    let i = 0
    try {
      for (; i < n; i++) enc(a[i])
    } catch (e) {
      throw withPath(e, '[' + i + ']')
    }
  } else {
    eU8[ePos] = T_ARRX
    eDV.setUint32(ePos + 1, n, true)
    ePos += 5
    encProps(a, keys, 0)
    ensure(1)
    eU8[ePos++] = T_END
  }
  eDepth--
}

// --- Entry point ---

/** Names a top-level position in error messages, e.g. 'Argument 2'. */
type Label = (index: number) => string

/** Encodes `values` (a top-level list, e.g. call arguments, or [result]) into `buffer` starting at byte `offset`.
 *  `buffer` is a growable SharedArrayBuffer; grow it (buffer.grow) as needed, never beyond min(buffer.maxByteLength, offset + maxBytes) — past that throw CodecFallback.
 *  Returns the end offset (exclusive).
 *  A value that structuredClone would reject (function, symbol, WeakMap, WeakSet, WeakRef, Promise, ...) throws a DOMException named 'DataCloneError' whose message names where it was, e.g. "Argument 2, at handler: function could not be cloned", and which carries an own property `index` = the top-level index (and `path`, the location below it, e.g. '.handler'). Use the `label` callback to name top-level positions: label(i) gives the prefix, e.g. 'Argument 2'.
 *  An array of LARGE_ARRAY (format.ts) elements or more throws CodecFallback too (the platform's clone is faster), unless `inlineOnly` (for a caller with no fallback). */
export function encodeInto(values: readonly unknown[], buffer: SharedArrayBuffer, offset: number, maxBytes: number, label?: Label, inlineOnly = false): number {
  // Re-entrancy (a getter that encodes): keep the outer call's state aside. (The Map/Set
  // entry counter in encode-builtins.ts restores itself when each Map or Set is done.)
  const outer = eActive ? ([eBuf, eU8, eDV, ePos, eCap, eHard, eDepth, eNextId, eSeen, eSmall, ePlatform] as const) : null
  if (outer !== null) {
    eSeen = new SafeMap()
    eSmall = []
  }
  eStringsIntact = stringMethodsIntact()
  ePlatform = !inlineOnly
  const views = viewsFor(buffer)
  eBuf = buffer
  eU8 = views.u8
  eDV = views.dv
  ePos = offset
  const limit = offset + maxBytes
  const max = views.max
  eHard = limit < max ? limit : max
  const len = views.len
  eCap = len < eHard ? len : eHard
  eDepth = 0
  eNextId = 0
  eActive = true
  let i = 0
  try {
    const n = values.length
    for (; i < n; i++) enc(values[i])
    return ePos
  } catch (e) {
    if (e instanceof Uncloneable) throw uncloneableError(e, i, label)
    if (isStackOverflow(e)) throw new CodecFallback('value nested too deeply')
    throw e
  } finally {
    if (eNextId !== 0) {
      const n = eNextId < SEEN_SMALL ? eNextId : SEEN_SMALL
      for (let j = 0; j < n; j++) eSmall[j] = undefined as unknown as object
      if (eNextId > SEEN_SMALL) eSeen.clear()
    }
    if (outer === null) {
      eActive = false
    } else {
      ;[eBuf, eU8, eDV, ePos, eCap, eHard, eDepth, eNextId, eSeen, eSmall, ePlatform] = outer
    }
  }
}
