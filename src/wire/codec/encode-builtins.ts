/**
 * Encoders for the built-in object types other than plain objects and arrays: typed arrays
 * and DataView, ArrayBuffer, Date, RegExp, Map, Set and errors, with the brand checks that
 * tell a real one from a look-alike. They write through the writer interface of
 * `encode.ts`, which owns the encoder state.
 */

import {
  CodecFallback, E_CAUSE, E_ERRORS, E_MESSAGE, E_STACK, ERROR_NAMES, K_AGGREGATE, K_DOMEXCEPTION,
  T_AB, T_DATE, T_ERROR, T_MAP, T_REGEXP, T_SET, T_VIEW, VIEW_DATAVIEW,
} from './format.ts'
import {
  ERROR_PROTOS, ObjectProto, StringCtor, Uint8ArrayCtor, VIEW_KIND, arrayBufferByteLength, arrayBufferDetached,
  arrayBufferResizable, dataViewBuffer, dataViewByteLength, dataViewByteOffset, dateGetTime, getProto, hasOwn,
  mapForEach, mapSize, objectKeys, objectToString, regexpFlags, regexpSource, setForEach, setSize,
  typedArrayBuffer, typedArrayByteOffset, typedArrayLength, typedArrayTag, type Getter,
} from './intrinsics.ts'
import { Uncloneable, keySegment, withPath } from './uncloneable.ts'
import {
  enc, encObject, encPlain, encString, endContainer, ensure, enter, patchByte, position, remember, rollBack,
  savePoint, writeAligned, writeByte, writeF64, writeU32,
} from './encode.ts'

// ---------------------------------------------------------------------------------------
// Typed arrays, DataView, ArrayBuffer

export function encView(v: ArrayBufferView): void {
  let kind: number
  let buffer: unknown
  let byteOffset: number
  let length: number
  const name = typedArrayTag(v) as string | undefined
  if (name === undefined) {
    kind = VIEW_DATAVIEW
    buffer = dataViewBuffer(v)
    byteOffset = dataViewByteOffset(v) as number
    length = dataViewByteLength(v) as number
  } else {
    const k = VIEW_KIND[name]
    if (k === undefined) throw new CodecFallback(`unsupported view ${name}`)
    kind = k
    buffer = typedArrayBuffer(v)
    byteOffset = typedArrayByteOffset(v) as number
    length = typedArrayLength(v) as number
  }
  checkArrayBuffer(buffer as object)
  remember(v)
  ensure(2)
  writeByte(T_VIEW)
  writeByte(kind)
  encObject(buffer as object)
  ensure(8)
  writeU32(byteOffset)
  writeU32(length)
}

/** Throws CodecFallback for SharedArrayBuffer / resizable buffers, Uncloneable for detached ones. */
function checkArrayBuffer(b: object): number {
  let len: number
  try {
    len = arrayBufferByteLength(b) as number
  } catch {
    throw new CodecFallback('SharedArrayBuffer (or a view on one) needs structured clone')
  }
  if (arrayBufferResizable !== undefined && arrayBufferResizable(b) === true) {
    throw new CodecFallback('resizable ArrayBuffer needs structured clone')
  }
  if (len === 0) {
    let detached: boolean
    if (arrayBufferDetached !== undefined) detached = arrayBufferDetached(b) === true
    else {
      try {
        new Uint8ArrayCtor(b as ArrayBuffer)
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

// ---------------------------------------------------------------------------------------
// Any other object, by its Object.prototype.toString tag

/** True when the getter accepts `o`: `o` has the internal slots, not just the tag. */
function brand(g: Getter, o: object): boolean {
  try {
    g(o)
    return true
  } catch {
    return false
  }
}

export function encSpecial(o: object): void {
  const tag = objectToString(o)
  switch (tag) {
    case '[object Object]':
      remember(o)
      encPlain(o)
      return
    case '[object Date]': {
      let t: number
      try {
        t = dateGetTime(o)
      } catch {
        break
      }
      remember(o)
      ensure(9)
      writeByte(T_DATE)
      writeF64(t)
      return
    }
    case '[object RegExp]': {
      let source: string
      try {
        source = regexpSource(o) as string
      } catch {
        break
      }
      remember(o)
      ensure(1)
      writeByte(T_REGEXP)
      encString(source)
      encString(regexpFlags(o) as string)
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
      writeByte(T_AB)
      writeU32(len)
      writeAligned(new Uint8ArrayCtor(o as ArrayBuffer))
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

// ---------------------------------------------------------------------------------------
// Map and Set

/** Position of the current Map/Set entry, for error paths. */
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
function encCollection(tag: number, collection: unknown, forEach: (self: unknown, fn: (value: unknown, key: unknown) => void) => void, entry: (value: unknown, key: unknown) => void): void {
  enter()
  ensure(1)
  writeByte(tag)
  const savedIndex = mapIndex
  mapIndex = 0
  try {
    forEach(collection, entry)
  } finally {
    mapIndex = savedIndex
  }
  endContainer()
}

// ---------------------------------------------------------------------------------------
// Errors

/** The kind byte of the first built-in error prototype on `e`'s chain, or -1. */
function errorKindByPrototype(e: object): number {
  for (let p = getProto(e) as object | null; p !== null && p !== ObjectProto; p = getProto(p) as object | null) {
    for (let k = 0; k < ERROR_PROTOS.length; k++) if (ERROR_PROTOS[k] === p) return k
  }
  return -1
}

function errorKind(e: object, name: string): number {
  const k = errorKindByPrototype(e)
  if (k >= 0) return k
  // another realm: go by name, as structuredClone does
  for (let i = 0; i < ERROR_NAMES.length; i++) if (ERROR_NAMES[i] === name) return i !== K_DOMEXCEPTION ? i : 0
  return 0
}

/**
 * Writes an error. The parts structured clone never fails on (the errors of an
 * AggregateError, own properties) are dropped, each alone, when they hold something it
 * cannot clone (a function, a symbol): the error keeps its class and everything else. A
 * cause that cannot be cloned throws, as it does in structuredClone.
 */
function encError(e: Error): void {
  enter()
  const rec = e as unknown as Record<string, unknown>
  const rawName = rec.name
  const name = rawName === undefined ? 'Error' : StringCtor(rawName)
  const kind = errorKind(e, name)
  let flags = 0
  let message = ''
  if (kind === K_DOMEXCEPTION || hasOwn(e, 'message')) {
    flags |= E_MESSAGE
    message = StringCtor(rec.message)
  }
  const stack = rec.stack
  if (typeof stack === 'string') flags |= E_STACK
  if (hasOwn(e, 'cause')) flags |= E_CAUSE
  if (kind === K_AGGREGATE && hasOwn(e, 'errors')) flags |= E_ERRORS
  ensure(3)
  writeByte(T_ERROR)
  writeByte(kind)
  const flagsAt = position()
  writeByte(flags)
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
    const at = savePoint()
    try {
      enc(rec.errors)
    } catch (err) {
      if (!(err instanceof Uncloneable)) throw withPath(err, '.errors')
      rollBack(at)
      patchByte(flagsAt, flags & ~E_ERRORS)
    }
  }
  const keys = objectKeys(e)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    if (k === 'message' || k === 'stack' || k === 'cause' || (k === 'errors' && kind === K_AGGREGATE)) continue
    const at = savePoint()
    try {
      encString(k)
      enc(rec[k])
    } catch (err) {
      if (!(err instanceof Uncloneable)) throw withPath(err, keySegment(k))
      rollBack(at)
    }
  }
  endContainer()
}
