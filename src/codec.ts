/**
 * anythread codec: a structured-clone-compatible binary encoding written straight into a
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
 *   0x1a u8 kind, u8 flags, name, [message], [stack], [cause], [errors], (key value)* 0   Error
 *
 * Objects get ids in the order they are first met (the same order on both sides), which
 * gives identity and cycles. Strings never get ids.
 */

/** Thrown when a value needs the runtime's own structured clone (platform objects such as Blob, MessagePort, boxed primitives, SharedArrayBuffer or views on one, resizable ArrayBuffers), or the encoding would exceed maxBytes. The caller then falls back to postMessage. */
export class CodecFallback extends Error {
  constructor(message?: string) {
    super(message)
    this.name = 'CodecFallback'
  }
}

// ---------------------------------------------------------------------------------------
// Tags

const T_END = 0x00
const T_UNDEF = 0x01
const T_NULL = 0x02
const T_FALSE = 0x03
const T_TRUE = 0x04
const T_INT = 0x05
const T_F64 = 0x06
const T_BIGPOS = 0x07
const T_BIGNEG = 0x08
const T_L1 = 0x09
const T_UTF8 = 0x0a
const T_UTF16 = 0x0b
const T_REF = 0x10
const T_OBJ = 0x11
const T_ARR = 0x12
const T_ARRX = 0x13
const T_DATE = 0x14
const T_REGEXP = 0x15
const T_MAP = 0x16
const T_SET = 0x17
const T_AB = 0x18
const T_VIEW = 0x19
const T_ERROR = 0x1a
const T_SMALL = 0x80

const E_MESSAGE = 1
const E_STACK = 2
const E_CAUSE = 4
const E_ERRORS = 8

/** Strings up to this length try the latin1 byte loop before TextEncoder. */
const SHORT_STRING = 48
/** Nesting deeper than this falls back to postMessage (stack safety on every runtime). */
const MAX_DEPTH = 1000

// ---------------------------------------------------------------------------------------
// Intrinsics, captured once

type Getter = (this: unknown) => unknown
function getter(proto: object, key: PropertyKey): Getter | undefined {
  const d = Object.getOwnPropertyDescriptor(proto, key)
  return d === undefined ? undefined : (d.get as Getter | undefined)
}

const G = globalThis as unknown as Record<string, unknown>
const ObjectProto = Object.prototype
const getProto = Object.getPrototypeOf
const objectKeys = Object.keys
const hasOwn = Object.hasOwn
const defineProperty = Object.defineProperty
const toStringTag = Object.prototype.toString
const isArray = Array.isArray
const fcc = String.fromCharCode
const isView = ArrayBuffer.isView

const TypedArrayProto = getProto(Uint8Array.prototype) as object
const taTag = getter(TypedArrayProto, Symbol.toStringTag) as Getter
const taBuffer = getter(TypedArrayProto, 'buffer') as Getter
const taByteOffset = getter(TypedArrayProto, 'byteOffset') as Getter
const taLength = getter(TypedArrayProto, 'length') as Getter
const dvBuffer = getter(DataView.prototype, 'buffer') as Getter
const dvByteOffset = getter(DataView.prototype, 'byteOffset') as Getter
const dvByteLength = getter(DataView.prototype, 'byteLength') as Getter
const abByteLength = getter(ArrayBuffer.prototype, 'byteLength') as Getter
const abResizable = getter(ArrayBuffer.prototype, 'resizable')
const abDetached = getter(ArrayBuffer.prototype, 'detached')
const mapSize = getter(Map.prototype, 'size') as Getter
const setSize = getter(Set.prototype, 'size') as Getter
const regexpSource = getter(RegExp.prototype, 'source') as Getter
const regexpFlags = getter(RegExp.prototype, 'flags') as Getter
const dateGetTime = Date.prototype.getTime
const mapForEach = Map.prototype.forEach
const setForEach = Set.prototype.forEach

type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView
const VIEW_NAMES = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'Float16Array', 'DataView',
] as const
const VIEW_DATAVIEW = 12
const VIEW_CTORS: (ViewCtor | undefined)[] = VIEW_NAMES.map((n) => G[n] as ViewCtor | undefined)
const VIEW_KIND: Record<string, number> = Object.create(null) as Record<string, number>
VIEW_NAMES.forEach((n, i) => { VIEW_KIND[n] = i })

type ErrorCtor = new (message?: string) => Error
const DOMExceptionCtor = G.DOMException as (new (message?: string, name?: string) => Error) | undefined
const ERROR_NAMES = [
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
  'URIError', 'AggregateError', 'DOMException',
] as const
const K_AGGREGATE = 7
const K_DOMEXCEPTION = 8
const ERROR_PROTOS: (object | undefined)[] = ERROR_NAMES.map((n) => {
  const c = G[n]
  return typeof c === 'function' ? (c as { prototype: object }).prototype : undefined
})

const TE = new TextEncoder()
const TD = new TextDecoder('utf-8', { ignoreBOM: true })
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as string & { isWellFormed(): boolean }).isWellFormed()
    : (s) => {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0xd800 && c <= 0xdfff) {
          if (c >= 0xdc00 || i + 1 >= s.length) return false
          const d = s.charCodeAt(i + 1)
          if (d < 0xdc00 || d > 0xdfff) return false
          i++
        }
      }
      return true
    }

// ---------------------------------------------------------------------------------------
// Per-buffer view cache. V8 does not optimise element access through length-tracking
// views on a growable SharedArrayBuffer (about 10x slower), so we keep fixed-length views
// over the length we last saw and replace them when the buffer has grown.

interface Views { u8: Uint8Array; dv: DataView; len: number; max: number }
let cacheBuf: SharedArrayBuffer | null = null
let cacheViews: Views = { u8: new Uint8Array(0), dv: new DataView(new ArrayBuffer(0)), len: 0, max: 0 }
const viewCache = new WeakMap<SharedArrayBuffer, Views>()

function viewsFor(buffer: SharedArrayBuffer): Views {
  if (buffer === cacheBuf) return cacheViews
  let v = viewCache.get(buffer)
  if (v === undefined) {
    v = { u8: cacheViews.u8, dv: cacheViews.dv, len: -1, max: buffer.maxByteLength }
    refresh(buffer, v)
    viewCache.set(buffer, v)
  }
  cacheBuf = buffer
  cacheViews = v
  return v
}

/** Re-reads the buffer's length and rebuilds the views if it has grown. */
function refresh(buffer: SharedArrayBuffer, v: Views): void {
  const len = buffer.byteLength
  if (len !== v.len) {
    v.u8 = new Uint8Array(buffer, 0, len)
    v.dv = new DataView(buffer, 0, len)
    v.len = len
  }
}

// ---------------------------------------------------------------------------------------
// Encoder state (module-level to avoid per-call allocation; saved when re-entered)

let eBuf: SharedArrayBuffer = new SharedArrayBuffer(0)
let eU8: Uint8Array = new Uint8Array(0)
let eDV: DataView = new DataView(new ArrayBuffer(0))
let ePos = 0
let eCap = 0 // writable limit: min(byteLength, eHard)
let eHard = 0 // absolute limit: min(maxByteLength, offset + maxBytes)
let eDepth = 0
let eNextId = 0
let eSeen: Map<object, number> = new Map()
let eActive = false

/** Internal marker for values structuredClone rejects; the path is collected while unwinding. */
class Uncloneable {
  readonly path: string[] = []
  constructor(readonly what: string) {}
}

function withPath(e: unknown, segment: string): unknown {
  if (e instanceof Uncloneable) e.path.push(segment)
  return e
}

const IDENT = /^[A-Za-z_$][\w$]*$/
function keySegment(k: string): string {
  return IDENT.test(k) ? '.' + k : '[' + JSON.stringify(k) + ']'
}

function grow(need: number, want: number): void {
  if (need > eHard) throw new CodecFallback(`encoding exceeds the byte limit (${eHard} bytes)`)
  const cur = eBuf.byteLength
  if (cur < need) {
    let target = cur * 2
    if (target < want) target = want
    if (target < need) target = need
    if (target > eHard) target = eHard
    try {
      eBuf.grow(target)
    } catch (e) {
      // another thread may have grown it meanwhile; anything else is a real failure
      if (eBuf.byteLength < need) throw new CodecFallback(`cannot grow the shared buffer: ${String(e)}`)
    }
  }
  const v = viewsFor(eBuf)
  refresh(eBuf, v)
  eU8 = v.u8
  eDV = v.dv
  eCap = v.len < eHard ? v.len : eHard
}

function ensure(n: number): void {
  if (ePos + n > eCap) grow(ePos + n, ePos + n)
}

/** Rounds up to a multiple of 8: bulk copies between a SharedArrayBuffer and an ArrayBuffer are much faster on V8 when aligned. */
function align8(p: number): number {
  return p + ((8 - (p & 7)) & 7)
}

function writeU32(v: number): void {
  eDV.setUint32(ePos, v, true)
  ePos += 4
}

function encString(s: string): void {
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

function encUtf8(s: string): void {
  const n = s.length
  ensure(12 + n)
  const start = align8(ePos + 5)
  let w = start
  let read = 0
  for (;;) {
    const r = TE.encodeInto(read === 0 ? s : s.slice(read), eU8.subarray(w, eCap))
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
  for (let i = 0; i < n; i++, p += 2) {
    const c = s.charCodeAt(i)
    u8[p] = c & 0xff
    u8[p + 1] = c >>> 8
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
    eDV.setBigUint64(ePos, BigInt.asUintN(64, m), true)
    ePos += 8
    m >>= 64n
    words++
  }
  eDV.setUint32(at, words, true)
}

function enc(v: unknown): void {
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

function lookup(o: object): number | undefined {
  const n = eNextId
  if (n <= SEEN_SMALL) {
    const small = eSmall
    for (let i = 0; i < n; i++) if (small[i] === o) return i
    return undefined
  }
  return eSeen.get(o)
}

function remember(o: object): void {
  const id = eNextId++
  if (id < SEEN_SMALL) {
    eSmall[id] = o
    return
  }
  if (id === SEEN_SMALL) for (let i = 0; i < SEEN_SMALL; i++) eSeen.set(eSmall[i] as object, i)
  eSeen.set(o, id)
}

function encObject(o: object): void {
  const id = lookup(o)
  if (id !== undefined) {
    ensure(5)
    eU8[ePos] = T_REF
    eDV.setUint32(ePos + 1, id, true)
    ePos += 5
    return
  }
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

function enter(): void {
  if (++eDepth > MAX_DEPTH) throw new CodecFallback('value nested too deeply')
}

function encPlain(o: object): void {
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

function isIndexKey(k: string): boolean {
  const n = +k
  return n >>> 0 === n && n !== 4294967295 && '' + n === k
}

function encArray(a: unknown[]): void {
  enter()
  const n = a.length
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

function encView(v: ArrayBufferView): void {
  let kind: number
  let buffer: unknown
  let byteOffset: number
  let length: number
  const name = taTag.call(v) as string | undefined
  if (name === undefined) {
    kind = VIEW_DATAVIEW
    buffer = dvBuffer.call(v)
    byteOffset = dvByteOffset.call(v) as number
    length = dvByteLength.call(v) as number
  } else {
    const k = VIEW_KIND[name]
    if (k === undefined) throw new CodecFallback(`unsupported view ${name}`)
    kind = k
    buffer = taBuffer.call(v)
    byteOffset = taByteOffset.call(v) as number
    length = taLength.call(v) as number
  }
  checkArrayBuffer(buffer as object)
  remember(v)
  ensure(2)
  eU8[ePos] = T_VIEW
  eU8[ePos + 1] = kind
  ePos += 2
  encObject(buffer as object)
  ensure(8)
  writeU32(byteOffset)
  writeU32(length)
}

/** Throws CodecFallback for SharedArrayBuffer / resizable buffers, Uncloneable for detached ones. */
function checkArrayBuffer(b: object): number {
  let len: number
  try {
    len = abByteLength.call(b) as number
  } catch {
    throw new CodecFallback('SharedArrayBuffer (or a view on one) needs structured clone')
  }
  if (abResizable !== undefined && abResizable.call(b) === true) {
    throw new CodecFallback('resizable ArrayBuffer needs structured clone')
  }
  if (len === 0) {
    let detached: boolean
    if (abDetached !== undefined) detached = abDetached.call(b) === true
    else {
      try {
        new Uint8Array(b as ArrayBuffer)
        detached = false
      } catch {
        detached = true
      }
    }
    if (detached) throw new Uncloneable('detached ArrayBuffer')
  }
  if (len > 0xffffffff) throw new CodecFallback('ArrayBuffer too large')
  return len
}

function brand(g: Getter, o: object): boolean {
  try {
    g.call(o)
    return true
  } catch {
    return false
  }
}

function encSpecial(o: object): void {
  const tag = toStringTag.call(o)
  switch (tag) {
    case '[object Object]':
      remember(o)
      encPlain(o)
      return
    case '[object Date]': {
      let t: number
      try {
        t = dateGetTime.call(o as Date)
      } catch {
        break
      }
      remember(o)
      ensure(9)
      eU8[ePos] = T_DATE
      eDV.setFloat64(ePos + 1, t, true)
      ePos += 9
      return
    }
    case '[object RegExp]': {
      let source: string
      try {
        source = regexpSource.call(o) as string
      } catch {
        break
      }
      remember(o)
      ensure(1)
      eU8[ePos++] = T_REGEXP
      encString(source)
      encString(regexpFlags.call(o) as string)
      return
    }
    case '[object Map]':
      if (!brand(mapSize, o)) break
      remember(o)
      encMap(o as Map<unknown, unknown>)
      return
    case '[object Set]':
      if (!brand(setSize, o)) break
      remember(o)
      encSet(o as Set<unknown>)
      return
    case '[object ArrayBuffer]': {
      const len = checkArrayBuffer(o)
      remember(o)
      ensure(12 + len)
      eU8[ePos] = T_AB
      eDV.setUint32(ePos + 1, len, true)
      const at = align8(ePos + 5)
      eU8.set(new Uint8Array(o as ArrayBuffer), at)
      ePos = at + len
      return
    }
    case '[object Error]':
    case '[object DOMException]':
      remember(o)
      encError(o as Error)
      return
    case '[object WeakMap]':
    case '[object WeakSet]':
    case '[object WeakRef]':
    case '[object FinalizationRegistry]':
    case '[object Promise]':
    case '[object Generator]':
    case '[object AsyncGenerator]':
      throw new Uncloneable(tag.slice(8, -1))
  }
  throw new CodecFallback(`${tag} needs structured clone`)
}

let mapIndex = 0
function encMapEntry(v: unknown, k: unknown): void {
  try {
    enc(k)
  } catch (e) {
    throw withPath(e, `.<Map key #${mapIndex}>`)
  }
  try {
    enc(v)
  } catch (e) {
    throw withPath(e, `.<Map value #${mapIndex}>`)
  }
  mapIndex++
}
function encSetEntry(v: unknown): void {
  try {
    enc(v)
  } catch (e) {
    throw withPath(e, `.<Set item #${mapIndex}>`)
  }
  mapIndex++
}

function encMap(m: Map<unknown, unknown>): void {
  encCollection(T_MAP, m, mapForEach, encMapEntry)
}

function encSet(s: Set<unknown>): void {
  encCollection(T_SET, s, setForEach, encSetEntry)
}

/** A Map or a Set: its tag, each entry (counted by mapIndex for error paths), an end tag. */
function encCollection<C>(tag: number, collection: C, forEach: (this: C, fn: (value: unknown, key: unknown) => void) => void, entry: (value: unknown, key: unknown) => void): void {
  enter()
  ensure(1)
  eU8[ePos++] = tag
  const savedIndex = mapIndex
  mapIndex = 0
  try {
    forEach.call(collection, entry)
  } finally {
    mapIndex = savedIndex
  }
  ensure(1)
  eU8[ePos++] = T_END
  eDepth--
}

function errorKind(e: object, name: string): number {
  let p = getProto(e) as object | null
  while (p !== null && p !== ObjectProto) {
    const k = ERROR_PROTOS.indexOf(p)
    if (k >= 0) return k
    p = getProto(p) as object | null
  }
  // another realm: go by name, as structuredClone does
  const k = (ERROR_NAMES as readonly string[]).indexOf(name)
  return k >= 0 && k !== K_DOMEXCEPTION ? k : 0
}

function encError(e: Error): void {
  enter()
  const rec = e as unknown as Record<string, unknown>
  const rawName = rec.name
  const name = rawName === undefined ? 'Error' : String(rawName)
  const kind = errorKind(e, name)
  let flags = 0
  let message = ''
  if (kind === K_DOMEXCEPTION || hasOwn(e, 'message')) {
    flags |= E_MESSAGE
    message = String(rec.message)
  }
  const stack = rec.stack
  if (typeof stack === 'string') flags |= E_STACK
  if (hasOwn(e, 'cause')) flags |= E_CAUSE
  if (kind === K_AGGREGATE && hasOwn(e, 'errors')) flags |= E_ERRORS
  ensure(3)
  eU8[ePos] = T_ERROR
  eU8[ePos + 1] = kind
  eU8[ePos + 2] = flags
  ePos += 3
  encString(name)
  if (flags & E_MESSAGE) encString(message)
  if (flags & E_STACK) encString(stack as string)
  if (flags & E_CAUSE) {
    try {
      enc(rec.cause)
    } catch (err) {
      throw withPath(err, '.cause')
    }
  }
  if (flags & E_ERRORS) {
    try {
      enc(rec.errors)
    } catch (err) {
      throw withPath(err, '.errors')
    }
  }
  const keys = objectKeys(e)
  let j = 0
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    if (k === 'message' || k === 'stack' || k === 'cause' || (k === 'errors' && flags & E_ERRORS)) continue
    keys[j++] = k
  }
  keys.length = j
  encProps(e, keys, 0)
  ensure(1)
  eU8[ePos++] = T_END
  eDepth--
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message)
}

/** Encodes `values` (a top-level list, e.g. call arguments, or [result]) into `buffer` starting at byte `offset`.
 *  `buffer` is a growable SharedArrayBuffer; grow it (buffer.grow) as needed, never beyond min(buffer.maxByteLength, offset + maxBytes) — past that throw CodecFallback.
 *  Returns the end offset (exclusive).
 *  A value that structuredClone would reject (function, symbol, WeakMap, WeakSet, WeakRef, Promise, ...) throws a DOMException named 'DataCloneError' whose message names where it was, e.g. "Argument 2, at handler: function could not be cloned", and which carries an own property `index` = the top-level index (and `path`, the location below it, e.g. '.handler'). Use the `label` callback to name top-level positions: label(i) gives the prefix, e.g. 'Argument 2'. */
export function encodeInto(
  values: readonly unknown[],
  buffer: SharedArrayBuffer,
  offset: number,
  maxBytes: number,
  label?: (index: number) => string,
): number {
  // Re-entrancy (a getter that encodes): keep the outer call's state aside.
  const outer = eActive
    ? [eBuf, eU8, eDV, ePos, eCap, eHard, eDepth, eNextId, eSeen, eSmall, mapIndex] as const
    : null
  if (outer !== null) {
    eSeen = new Map()
    eSmall = []
  }
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
    if (e instanceof Uncloneable) throw dataCloneError(e, i, label)
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
      [eBuf, eU8, eDV, ePos, eCap, eHard, eDepth, eNextId, eSeen, eSmall, mapIndex] = outer
    }
  }
}

function dataCloneError(u: Uncloneable, index: number, label?: (index: number) => string): Error {
  const prefix = label === undefined ? `Argument ${index + 1}` : label(index)
  const path = u.path.reverse().join('')
  const where = path === '' ? prefix : `${prefix}, at ${path.startsWith('.') ? path.slice(1) : path}`
  const msg = `${where}: ${u.what} could not be cloned`
  const err: Error = DOMExceptionCtor !== undefined ? new DOMExceptionCtor(msg, 'DataCloneError') : Object.assign(new Error(msg), { name: 'DataCloneError' })
  defineProperty(err, 'index', { value: index, writable: true, enumerable: true, configurable: true })
  defineProperty(err, 'path', { value: path, writable: true, enumerable: true, configurable: true })
  return err
}

// ---------------------------------------------------------------------------------------
// Decoder

let dU8: Uint8Array = new Uint8Array(0)
let dDV: DataView = new DataView(new ArrayBuffer(0))
let dPos = 0
let dObjs: unknown[] = []
let dN = 0 // number of objects decoded so far in this call (ids 0..dN-1)
let dActive = false

function corrupt(): never {
  throw new Error('anythread codec: corrupt data at byte ' + dPos)
}

function readU32(): number {
  const v = dDV.getUint32(dPos, true)
  dPos += 4
  return v
}

/** A fresh, non-shared copy of bytes [a, b). */
function bytes(a: number, b: number): Uint8Array {
  const c = new Uint8Array(b - a)
  c.set(dU8.subarray(a, b))
  return c
}

const SCRATCH_MAX = 1 << 20
let scratch = new Uint8Array(0)

function decUtf8(a: number, n: number): string {
  if (n > SCRATCH_MAX) return TD.decode(bytes(a, a + n))
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2, 1024))
  scratch.set(dU8.subarray(a, a + n))
  return TD.decode(scratch.subarray(0, n))
}

function decString(t: number): string {
  const u8 = dU8
  if (t === T_L1) {
    const n = u8[dPos] as number
    let p = dPos + 1
    const e = p + n
    dPos = e
    if (n === 0) return ''
    let s = ''
    for (; p < e; p++) s += fcc(u8[p] as number)
    return s
  }
  const n = readU32()
  if (t === T_UTF8) {
    const a = align8(dPos)
    dPos = a + n
    return decUtf8(a, n)
  }
  const a = dPos
  if (t !== T_UTF16) corrupt()
  dPos = a + 2 * n
  const copy = bytes(a, a + 2 * n)
  let s = ''
  const CHUNK = 8192
  if (LITTLE_ENDIAN) {
    const u16 = new Uint16Array(copy.buffer, 0, n)
    for (let i = 0; i < n; i += CHUNK) {
      s += String.fromCharCode.apply(null, u16.subarray(i, Math.min(n, i + CHUNK)) as unknown as number[])
    }
  } else {
    for (let i = 0; i < n; i++) s += String.fromCharCode((copy[2 * i] as number) | ((copy[2 * i + 1] as number) << 8))
  }
  return s
}

function readKey(): string {
  const t = dU8[dPos++] as number
  return decString(t)
}

function setProp(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
  else o[k] = v
}

function decProps(o: Record<string, unknown>): void {
  while (dU8[dPos] !== T_END) {
    const k = readKey()
    setProp(o, k, dec())
  }
  dPos++
}

function dec(): unknown {
  const t = dU8[dPos++] as number
  if (t >= T_SMALL) return t & 0x7f
  switch (t) {
    case T_UNDEF:
      return undefined
    case T_NULL:
      return null
    case T_FALSE:
      return false
    case T_TRUE:
      return true
    case T_INT: {
      const v = dDV.getInt32(dPos, true)
      dPos += 4
      return v
    }
    case T_F64: {
      const v = dDV.getFloat64(dPos, true)
      dPos += 8
      return v
    }
    case T_L1:
    case T_UTF8:
    case T_UTF16:
      return decString(t)
    case T_BIGPOS:
    case T_BIGNEG: {
      const words = readU32()
      let m = 0n
      for (let i = words - 1; i >= 0; i--) m = (m << 64n) | dDV.getBigUint64(dPos + 8 * i, true)
      dPos += 8 * words
      return t === T_BIGNEG ? -m : m
    }
    case T_REF: {
      const id = readU32()
      if (id >= dN) corrupt()
      return dObjs[id]
    }
    case T_OBJ: {
      const o: Record<string, unknown> = {}
      dObjs[dN++] = o
      decProps(o)
      return o
    }
    case T_ARR: {
      const n = readU32()
      const a: unknown[] = []
      dObjs[dN++] = a
      for (let i = 0; i < n; i++) a.push(dec())
      return a
    }
    case T_ARRX: {
      const n = readU32()
      const a = new Array<unknown>(n)
      dObjs[dN++] = a
      decProps(a as unknown as Record<string, unknown>)
      return a
    }
    case T_DATE: {
      const d = new Date(dDV.getFloat64(dPos, true))
      dPos += 8
      dObjs[dN++] = d
      return d
    }
    case T_REGEXP: {
      const id = dN
      dObjs[dN++] = undefined
      const source = readKey()
      const r = new RegExp(source, readKey())
      dObjs[id] = r
      return r
    }
    case T_MAP: {
      const m = new Map<unknown, unknown>()
      dObjs[dN++] = m
      while (dU8[dPos] !== T_END) {
        const k = dec()
        m.set(k, dec())
      }
      dPos++
      return m
    }
    case T_SET: {
      const s = new Set<unknown>()
      dObjs[dN++] = s
      while (dU8[dPos] !== T_END) s.add(dec())
      dPos++
      return s
    }
    case T_AB: {
      const n = readU32()
      const a = align8(dPos)
      const ab = bytes(a, a + n).buffer
      dPos = a + n
      dObjs[dN++] = ab
      return ab
    }
    case T_VIEW: {
      const kind = dU8[dPos++] as number
      const id = dN
      dObjs[dN++] = undefined
      const buffer = dec() as ArrayBuffer
      const byteOffset = readU32()
      const length = readU32()
      const Ctor = VIEW_CTORS[kind]
      if (Ctor === undefined) throw new TypeError(`${VIEW_NAMES[kind] ?? 'view'} is not supported by this runtime`)
      const v = new Ctor(buffer, byteOffset, length)
      dObjs[id] = v
      return v
    }
    case T_ERROR:
      return decError()
  }
  return corrupt()
}

const hidden = { writable: true, enumerable: false, configurable: true } as const

function decError(): Error {
  const kind = dU8[dPos] as number
  const flags = dU8[dPos + 1] as number
  dPos += 2
  const name = readKey()
  const message = flags & E_MESSAGE ? readKey() : undefined
  const stack = flags & E_STACK ? readKey() : undefined
  let e: Error
  if (kind === K_DOMEXCEPTION && DOMExceptionCtor !== undefined) {
    e = new DOMExceptionCtor(message ?? '', name)
  } else if (kind === K_AGGREGATE) {
    e = message === undefined ? new AggregateError([]) : new AggregateError([], message)
  } else {
    const Ctor = (G[ERROR_NAMES[kind] ?? 'Error'] ?? Error) as ErrorCtor
    e = message === undefined ? new Ctor() : new Ctor(message)
  }
  dObjs[dN++] = e
  if (e.name !== name) defineProperty(e, 'name', { value: name, ...hidden })
  if (stack !== undefined) defineProperty(e, 'stack', { value: stack, ...hidden })
  else if (hasOwn(e, 'stack')) delete (e as { stack?: string }).stack
  if (flags & E_CAUSE) defineProperty(e, 'cause', { value: dec(), ...hidden })
  if (flags & E_ERRORS) defineProperty(e, 'errors', { value: dec(), ...hidden })
  else if (kind === K_AGGREGATE) delete (e as { errors?: unknown }).errors
  while (dU8[dPos] !== T_END) {
    const k = readKey()
    defineProperty(e, k, { value: dec(), writable: true, enumerable: true, configurable: true })
  }
  dPos++
  return e
}

/** Decodes what encodeInto wrote between offset and end. Returns fresh values, never views on the shared buffer. */
export function decodeFrom(buffer: SharedArrayBuffer, offset: number, end: number): unknown[] {
  const outer = dActive ? [dU8, dDV, dPos, dObjs, dN] as const : null
  if (outer !== null) dObjs = []
  dN = 0
  const views = viewsFor(buffer)
  dU8 = views.u8
  dDV = views.dv
  dPos = offset
  dActive = true
  try {
    if (end > views.len && end > offset) {
      refresh(buffer, views)
      dU8 = views.u8
      dDV = views.dv
      if (end > views.len) corrupt()
    }
    const out: unknown[] = []
    while (dPos < end) out.push(dec())
    if (dPos !== end) corrupt()
    return out
  } finally {
    for (let i = 0; i < dN; i++) dObjs[i] = undefined
    if (dObjs.length > 4096) dObjs = []
    if (outer === null) dActive = false
    else [dU8, dDV, dPos, dObjs, dN] = outer
  }
}
