/**
 * The decoder: `decodeFrom` reads what `encodeInto` wrote and rebuilds fresh values (never
 * views on the shared buffer), with the same object numbering for references and cycles.
 */

import { VIEW_NAMES, align8 } from './format.ts'
import * as format from './format.ts'
import {
  AggregateErrorCtor,
  DOMExceptionCtor,
  DateCtor,
  ERROR_CTORS,
  ErrorCtor,
  LITTLE_ENDIAN,
  MapCtor,
  RegExpCtor,
  SafeDataView,
  SetCtor,
  Uint16ArrayCtor,
  Uint8ArrayCtor,
  VIEW_CTORS,
  decodeUtf8,
  defineProperty,
  fromCharCode,
  hasOwn,
  mapSet,
  mathMax,
  mathMin,
  reflectApply,
  setAdd,
  typedArrayBuffer,
  u8Set,
} from './intrinsics.ts'
import { CallbackRef } from './callback.ts'
import { refresh, viewsFor } from './views.ts'

// Tags and flags as module-local constants: V8 does not constant-fold imported bindings, and
// the hot paths below test them for every value (measured: 5-10% on small messages).
// biome-ignore format: a table of names, packed: one a line would add dozens of lines for nothing
const {
  E_CAUSE, E_ERRORS, E_MESSAGE, E_POSITION, E_STACK, K_AGGREGATE, K_DOMEXCEPTION, T_AB, T_ARR, T_ARRX, T_BIGNEG, T_BIGPOS, T_CALLBACK, T_DATE, T_END,
  T_ERROR, T_F64, T_FALSE, T_INT, T_L1, T_MAP, T_NULL, T_OBJ, T_REF, T_REGEXP, T_SET, T_SMALL, T_TRUE, T_UNDEF, T_UTF16, T_UTF8, T_VIEW,
} = format

// --- Decoder state (module-level to avoid per-call allocation; saved when re-entered) ---

let dPos = 0
let dBuf: SharedArrayBuffer = new SharedArrayBuffer(0)
let dU8: Uint8Array = new Uint8ArrayCtor(0)
let dDV: SafeDataView = new SafeDataView(new ArrayBuffer(0))
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
function copyBytes(a: number, b: number): Uint8Array {
  const c = new Uint8ArrayCtor(b - a)
  u8Set(c, new Uint8ArrayCtor(dBuf, a, b - a))
  return c
}

const SCRATCH_MAX = 1 << 20
let utf8Scratch = new Uint8ArrayCtor(0)
let utf8ScratchBuffer = typedArrayBuffer(utf8Scratch) as ArrayBuffer

function decUtf8(a: number, n: number): string {
  if (n > SCRATCH_MAX) return decodeUtf8(copyBytes(a, a + n))
  if (utf8Scratch.length < n) {
    utf8Scratch = new Uint8ArrayCtor(mathMax(n, utf8Scratch.length * 2, 1024))
    utf8ScratchBuffer = typedArrayBuffer(utf8Scratch) as ArrayBuffer
  }
  u8Set(utf8Scratch, new Uint8ArrayCtor(dBuf, a, n))
  return decodeUtf8(new Uint8ArrayCtor(utf8ScratchBuffer, 0, n))
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
    for (; p < e; p++) s += fromCharCode(u8[p] as number)
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
  const copy = copyBytes(a, a + 2 * n)
  let s = ''
  const CHUNK = 8192
  if (LITTLE_ENDIAN) {
    const buffer = typedArrayBuffer(copy) as ArrayBuffer
    for (let i = 0; i < n; i += CHUNK) {
      s += reflectApply(fromCharCode, undefined, new Uint16ArrayCtor(buffer, 2 * i, mathMin(n, i + CHUNK) - i) as unknown as number[])
    }
  } else {
    for (let i = 0; i < n; i++) s += fromCharCode((copy[2 * i] as number) | ((copy[2 * i + 1] as number) << 8))
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
      for (let i = 0; i < n; i++) a[i] = dec()
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
      const d = new DateCtor(dDV.getFloat64(dPos, true))
      dPos += 8
      dObjs[dN++] = d
      return d
    }
    case T_REGEXP: {
      const id = dN
      dObjs[dN++] = undefined
      const source = readKey()
      const r = new RegExpCtor(source, readKey())
      dObjs[id] = r
      return r
    }
    case T_MAP: {
      const m = new MapCtor<unknown, unknown>()
      dObjs[dN++] = m
      while (dU8[dPos] !== T_END) {
        const k = dec()
        mapSet(m, k, dec())
      }
      dPos++
      return m
    }
    case T_SET: {
      const s = new SetCtor<unknown>()
      dObjs[dN++] = s
      while (dU8[dPos] !== T_END) setAdd(s, dec())
      dPos++
      return s
    }
    case T_AB: {
      const n = readU32()
      const a = align8(dPos)
      const ab = typedArrayBuffer(copyBytes(a, a + n)) as ArrayBuffer
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
    case T_CALLBACK:
      return new CallbackRef(readU32())
  }
  return corrupt()
}

const hiddenProperty = { writable: true, enumerable: false, configurable: true } as const

/** An error and the chain of causes that follows it (see the wire format): a loop, not recursion. */
function decError(): Error {
  const first = decErrorBody()
  let e = first
  while (hasCause) {
    if (dU8[dPos] !== T_ERROR) {
      defineProperty(e, 'cause', { value: dec(), ...hiddenProperty })
      break
    }
    dPos++
    const next = decErrorBody()
    defineProperty(e, 'cause', { value: next, ...hiddenProperty })
    e = next
  }
  return first
}

/** Whether the error decErrorBody read last has a cause, which follows it. */
let hasCause = false

function decErrorBody(): Error {
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
    e = message === undefined ? new AggregateErrorCtor([]) : new AggregateErrorCtor([], message)
  } else {
    const Ctor = ERROR_CTORS[kind] ?? ErrorCtor
    e = message === undefined ? new Ctor() : new Ctor(message)
  }
  dObjs[dN++] = e
  if (e.name !== name) defineProperty(e, 'name', { value: name, ...hiddenProperty })
  if (stack !== undefined) defineProperty(e, 'stack', { value: stack, ...hiddenProperty })
  else if (hasOwn(e, 'stack')) delete (e as { stack?: string }).stack
  // its place among the own properties, as a freshly made error has it; its value comes last
  if (flags & E_CAUSE) defineProperty(e, 'cause', { value: undefined, ...hiddenProperty })
  if (flags & E_ERRORS) defineProperty(e, 'errors', { value: dec(), ...hiddenProperty })
  else if (kind === K_AGGREGATE) delete (e as { errors?: unknown }).errors
  if (flags & E_POSITION) {
    defineProperty(e, 'line', { value: dec(), writable: true, enumerable: false, configurable: true })
    defineProperty(e, 'column', { value: dec(), writable: true, enumerable: false, configurable: true })
  }
  while (dU8[dPos] !== T_END) {
    const k = readKey()
    defineProperty(e, k, { value: dec(), writable: true, enumerable: true, configurable: true })
  }
  dPos++
  hasCause = (flags & E_CAUSE) !== 0
  return e
}

/** Decodes what encodeInto wrote between offset and end. Returns fresh values, never views on the shared buffer. */
export function decodeFrom(buffer: SharedArrayBuffer, offset: number, end: number): unknown[] {
  const outer = dActive ? ([dBuf, dU8, dDV, dPos, dObjs, dN] as const) : null
  if (outer !== null) dObjs = []
  dN = 0
  const views = viewsFor(buffer)
  dBuf = buffer
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
    let count = 0
    while (dPos < end) out[count++] = dec()
    if (dPos !== end) corrupt()
    return out
  } finally {
    for (let i = 0; i < dN; i++) dObjs[i] = undefined
    if (dObjs.length > 4096) dObjs = []
    if (outer === null) dActive = false
    else [dBuf, dU8, dDV, dPos, dObjs, dN] = outer
  }
}
