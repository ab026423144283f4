/**
 * Built-ins the codec uses, captured once at load time, so that user code that later
 * patches or shadows globals and prototypes (Object.keys, Map.prototype.forEach, a
 * Symbol.toStringTag getter, ...) cannot change what the codec reads or writes.
 */

import { ERROR_NAMES, VIEW_NAMES } from './format.ts'

export type Getter = (this: unknown) => unknown
function getter(proto: object, key: PropertyKey): Getter | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)
  return descriptor === undefined ? undefined : (descriptor.get as Getter | undefined)
}

/** The global object, for constructors looked up by name. */
export const globals = globalThis as unknown as Record<string, unknown>

// ---------------------------------------------------------------------------------------
// Object, Array, String

export const ObjectProto = Object.prototype
export const getProto = Object.getPrototypeOf
export const objectKeys = Object.keys
export const hasOwn = Object.hasOwn
export const defineProperty = Object.defineProperty
/** Object.prototype.toString: gives '[object Tag]'. */
export const objectToString = Object.prototype.toString
export const isArray = Array.isArray
export const fromCharCode = String.fromCharCode

// ---------------------------------------------------------------------------------------
// Buffers and views

export const isView = ArrayBuffer.isView
const TypedArrayProto = getProto(Uint8Array.prototype) as object
export const typedArrayTag = getter(TypedArrayProto, Symbol.toStringTag) as Getter
export const typedArrayBuffer = getter(TypedArrayProto, 'buffer') as Getter
export const typedArrayByteOffset = getter(TypedArrayProto, 'byteOffset') as Getter
export const typedArrayLength = getter(TypedArrayProto, 'length') as Getter
export const dataViewBuffer = getter(DataView.prototype, 'buffer') as Getter
export const dataViewByteOffset = getter(DataView.prototype, 'byteOffset') as Getter
export const dataViewByteLength = getter(DataView.prototype, 'byteLength') as Getter
export const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength') as Getter
/** Undefined on runtimes without resizable ArrayBuffers. */
export const arrayBufferResizable: Getter | undefined = getter(ArrayBuffer.prototype, 'resizable')
/** Undefined on runtimes without ArrayBuffer.prototype.detached. */
export const arrayBufferDetached: Getter | undefined = getter(ArrayBuffer.prototype, 'detached')

export type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView
/** Constructor per view kind byte; undefined where this runtime lacks it (Float16Array). */
export const VIEW_CTORS: (ViewCtor | undefined)[] = VIEW_NAMES.map((n) => globals[n] as ViewCtor | undefined)
/** View kind byte by constructor name (the typed array's Symbol.toStringTag). */
export const VIEW_KIND: Record<string, number> = Object.create(null) as Record<string, number>
VIEW_NAMES.forEach((n, i) => { VIEW_KIND[n] = i })

// ---------------------------------------------------------------------------------------
// Date, RegExp, Map, Set

export const mapSize = getter(Map.prototype, 'size') as Getter
export const setSize = getter(Set.prototype, 'size') as Getter
export const regexpSource = getter(RegExp.prototype, 'source') as Getter
export const regexpFlags = getter(RegExp.prototype, 'flags') as Getter
export const dateGetTime = Date.prototype.getTime
export const mapForEach = Map.prototype.forEach
export const setForEach = Set.prototype.forEach

// ---------------------------------------------------------------------------------------
// Errors

export type ErrorCtor = new (message?: string) => Error
export const DOMExceptionCtor = globals.DOMException as (new (message?: string, name?: string) => Error) | undefined
/** Prototype per error kind byte; undefined where this runtime lacks the constructor. */
export const ERROR_PROTOS: (object | undefined)[] = ERROR_NAMES.map((n) => {
  const c = globals[n]
  return typeof c === 'function' ? (c as { prototype: object }).prototype : undefined
})

// ---------------------------------------------------------------------------------------
// Text

export const utf8Encoder = new TextEncoder()
export const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true })
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** String.prototype.isWellFormed, or an equivalent loop where the runtime lacks it. */
export const isWellFormed: (s: string) => boolean =
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
