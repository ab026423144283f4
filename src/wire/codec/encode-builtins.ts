/**
 * Encoders for the built-in object types other than plain objects and arrays: typed arrays
 * and DataView, ArrayBuffer, Date, RegExp, Map, Set and errors, with the brand checks that
 * tell a real one from a look-alike. They write through the writer interface of
 * `encode.ts`, which owns the encoder state.
 */

// biome-ignore format: a table of names, packed: one a line would add dozens of lines for nothing
import {
  CodecFallback, E_CAUSE, E_ERRORS, E_MESSAGE, E_POSITION, E_STACK, ERROR_NAMES, K_AGGREGATE, K_DOMEXCEPTION, T_AB, T_CALLBACK, T_DATE, T_ERROR,
  T_MAP, T_REGEXP, T_SET, T_VIEW, VIEW_DATAVIEW,
} from './format.ts'
// biome-ignore format: a table of names, packed: one a line would add dozens of lines for nothing
import {
  ERROR_PROTOS, ObjectProto, StringCtor, Uint8ArrayCtor, VIEW_KIND, arrayBufferByteLength, arrayBufferDetached, arrayBufferResizable, dataViewBuffer,
  dataViewByteLength, dataViewByteOffset, dateGetTime, domExceptionName, errorIsError, getOwnPropertyDescriptor, getProto, hasOwn, isArray,
  isEnumerable, isProxy, isView, mapForEach, mapSize, objectKeys, objectToString, regexpFlags, regexpSource, setForEach, setSize, stringSlice,
  structuredCloneFn, toStringTagSymbol, typedArrayBuffer, typedArrayByteOffset, typedArrayLength, typedArrayTag, type Getter,
} from './intrinsics.ts'
import { CallbackRef } from './callback.ts'
import { Uncloneable, keySegment, withPath } from './uncloneable.ts'
import {
  allowPlatform,
  enc,
  encObject,
  encPlain,
  encString,
  endContainer,
  ensure,
  enter,
  lookup,
  patchByte,
  position,
  remember,
  rollBack,
  savePoint,
  writeAligned,
  writeByte,
  writeF64,
  writeU32,
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
      if (CallbackRef.is(o)) {
        ensure(5)
        writeByte(T_CALLBACK)
        writeU32(CallbackRef.idOf(o))
        return
      }
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
      // Only a real one: the tag may come from a Symbol.toStringTag (structured clone then
      // carries a plain object, and so does the fallback).
      if (!isRealError(o, tag)) break
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
      throw new Uncloneable(stringSlice(tag, 8, -1))
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
function encCollection(
  tag: number,
  collection: unknown,
  forEach: (self: unknown, fn: (value: unknown, key: unknown) => void) => void,
  entry: (value: unknown, key: unknown) => void,
): void {
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

/**
 * Whether `o`, whose Object.prototype.toString tag is `tag` ('[object Error]' or
 * '[object DOMException]'), really is one, as structured clone would see it, and not an
 * object whose Symbol.toStringTag says so.
 */
function isRealError(o: object, tag: string): boolean {
  if (tag === '[object DOMException]') return domExceptionName !== undefined && brand(domExceptionName, o)
  if (errorIsError !== undefined) return errorIsError(o)
  // No Error.isError (Node 20, 22): the tag is the [[ErrorData]] brand's unless a
  // Symbol.toStringTag supplied it.
  if (!hasToStringTag(o)) return true
  // Rare: an object that says 'Error' through Symbol.toStringTag. Structured clone tells a
  // real error (its clone is one) from an impostor (its clone is a plain object).
  if (structuredCloneFn !== undefined) {
    try {
      return objectToString(structuredCloneFn(o)) === '[object Error]'
    } catch {
      // cannot be cloned at all: go by the prototype chain
    }
  }
  return errorKindByPrototype(o) >= 0
}

/** Whether a Symbol.toStringTag is found on `o` or its prototypes (without running getters). */
function hasToStringTag(o: object): boolean {
  for (let p: object | null = o; p !== null; p = getProto(p) as object | null) {
    const d = getOwnPropertyDescriptor(p, toStringTagSymbol)
    if (d !== undefined) return d.get !== undefined || typeof d.value === 'string'
  }
  return false
}

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
 * The error `encObject` would write for `value` as a T_ERROR item, or undefined (then
 * `enc` writes it, whatever it is). Mirrors encObject's dispatch.
 */
function errorToWrite(value: unknown): Error | undefined {
  if (typeof value !== 'object' || value === null || lookup(value) !== undefined) return undefined
  if (isProxy?.(value)) return undefined
  const proto = getProto(value) as unknown
  if (proto === ObjectProto || proto === null || isArray(value) || isView(value)) return undefined
  const tag = objectToString(value)
  if (tag !== '[object Error]' && tag !== '[object DOMException]') return undefined
  return isRealError(value, tag) ? (value as Error) : undefined
}

/**
 * Writes an error (already remembered) and its chain of causes: each cause that is itself
 * an error follows the previous one's end tag, at the same nesting level, so a chain of any
 * length takes neither stack nor depth.
 */
function encError(first: Error): void {
  // inline only below an error: the platform's clone would not keep what we keep of one
  const platform = allowPlatform(false)
  try {
    encErrorChain(first)
  } finally {
    allowPlatform(platform)
  }
}

function encErrorChain(first: Error): void {
  let e = first
  let links = 0
  for (;;) {
    if (!encErrorBody(e)) return
    const cause = (e as { cause?: unknown }).cause
    const next = errorToWrite(cause)
    if (next === undefined) {
      try {
        enc(cause)
      } catch (err) {
        for (let i = 0; i <= links; i++) withPath(err, '.cause') // one '.cause' per link followed
        throw err
      }
      return
    }
    remember(next)
    e = next
    links++
  }
}

/**
 * Writes one error up to its end tag; returns whether its cause follows. The parts
 * structured clone never fails on (the errors of an AggregateError, own properties) are
 * dropped, each alone, when they hold something it cannot clone (a function, a symbol):
 * the error keeps its class and everything else. A cause that cannot be cloned throws, as
 * it does in structuredClone.
 */
function encErrorBody(e: Error): boolean {
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
  const hasCause = hasOwn(e, 'cause')
  if (hasCause) flags |= E_CAUSE
  if (kind === K_AGGREGATE && hasOwn(e, 'errors')) flags |= E_ERRORS
  // JavaScriptCore keeps an error's position in own, hidden `line` and `column` (which a
  // `.line = n` keeps hidden): structured clone carries them, and so do we.
  const line = rec.line
  const column = rec.column
  if (typeof line === 'number' && typeof column === 'number' && hasOwn(e, 'line') && hasOwn(e, 'column') && !isEnumerable(e, 'line')) flags |= E_POSITION
  ensure(3)
  writeByte(T_ERROR)
  writeByte(kind)
  const flagsAt = position()
  writeByte(flags)
  encString(name)
  if (flags & E_MESSAGE) encString(message)
  if (flags & E_STACK) encString(stack as string)
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
  if (flags & E_POSITION) {
    enc(line)
    enc(column)
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
  return hasCause
}
