/**
 * Built-ins the codec uses, captured once at load time, so that user code that later
 * patches or shadows globals and prototypes (Object.keys, Map.prototype.forEach,
 * TextDecoder.prototype.decode, Uint8Array.prototype.set, a Symbol.toStringTag getter,
 * `Function.prototype.call`, ...) cannot change what the codec reads or writes. The codec
 * loads before any worker module runs on its thread.
 *
 * How each is called, so that a later change cannot reach it:
 *  - methods called once per string, buffer or object are uncurried (`uncurry` below:
 *    `f(self, ...args)` calls the method captured here through the captured
 *    `Function.prototype.call`);
 *  - methods called per element in the hot loops (DataView reads and writes, the identity
 *    Map) are called on instances of private subclasses (`SafeDataView`, `SafeMap`) whose
 *    own prototypes hold the captured methods: as fast as a plain method call, because
 *    engines inline the built-in they find there, while an uncurried call in a hot loop
 *    costs 20-60x on JavaScriptCore and recent V8;
 *  - `String.prototype.charCodeAt` is called as a method while it is the original (one
 *    comparison per encode: `stringMethodsIntact`), and uncurried otherwise.
 */

import { ERROR_NAMES, VIEW_NAMES } from './format.ts'

const FunctionProto = Function.prototype
/**
 * `uncurry(Proto.method)` gives `(self, ...args) => result`: it calls the method captured
 * here, whatever happens to the prototype or to `Function.prototype.call` afterwards.
 */
export const uncurry = FunctionProto.bind.bind(FunctionProto.call) as <T, A extends unknown[], R>(fn: (this: T, ...args: A) => R) => (self: T, ...args: A) => R

export type Getter = (self: unknown) => unknown
function getter(proto: object, key: PropertyKey): Getter | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)
  const get = descriptor?.get
  return get === undefined ? undefined : uncurry(get as (this: unknown) => unknown)
}

/** Copies the built-in methods `names` of `from` onto `to`, as the prototype's own (non-enumerable) methods. */
function ownMethods(from: object, to: object, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(to, name, { value: (from as Record<string, unknown>)[name], writable: false, enumerable: false, configurable: false })
  }
}

/** The global object, for constructors looked up by name. */
export const globals = globalThis as unknown as Record<string, unknown>

// ---------------------------------------------------------------------------------------
// Object, Array, String, Reflect, Math

export const ObjectProto = Object.prototype
export const getProto = Object.getPrototypeOf
export const setProto = Object.setPrototypeOf
export const objectKeys = Object.keys
export const hasOwn = Object.hasOwn
export const defineProperty = Object.defineProperty
export const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
/** Object.prototype.toString: gives '[object Tag]'. */
export const objectToString = uncurry(Object.prototype.toString) as (self: unknown) => string
export const isEnumerable = uncurry(Object.prototype.propertyIsEnumerable) as (self: unknown, key: PropertyKey) => boolean
export const isArray = Array.isArray
export const fromCharCode = String.fromCharCode
export const StringCtor = String
export const reflectApply = Reflect.apply
export const mathMin = Math.min
export const mathMax = Math.max
export const jsonStringify = JSON.stringify
export const asUintN = BigInt.asUintN
export const toStringTagSymbol: typeof Symbol.toStringTag = Symbol.toStringTag

const StringProto = String.prototype
const charCodeAtMethod = StringProto.charCodeAt
export const charCodeAt = uncurry(charCodeAtMethod)
export const stringSlice = uncurry(StringProto.slice)
export const stringIndexOf = uncurry(StringProto.indexOf)
/**
 * Whether `String.prototype.charCodeAt` is still the built-in, so the per-character loops
 * may call it as a method (`s.charCodeAt(i)` is much faster than an uncurried call).
 */
export function stringMethodsIntact(): boolean {
  return StringProto.charCodeAt === charCodeAtMethod
}

/** String.prototype.isWellFormed, or an equivalent loop where the runtime lacks it. */
export const isWellFormed: (s: string) => boolean =
  typeof (StringProto as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? uncurry((StringProto as unknown as { isWellFormed(this: string): boolean }).isWellFormed)
    : (s) => {
        for (let i = 0; i < s.length; i++) {
          const c = charCodeAt(s, i)
          if (c >= 0xd800 && c <= 0xdfff) {
            if (c >= 0xdc00 || i + 1 >= s.length) return false
            const d = charCodeAt(s, i + 1)
            if (d < 0xdc00 || d > 0xdfff) return false
            i++
          }
        }
        return true
      }

// ---------------------------------------------------------------------------------------
// Buffers and views

export const isView = ArrayBuffer.isView
export const Uint8ArrayCtor = Uint8Array
export const Uint16ArrayCtor = Uint16Array
const TypedArrayProto = getProto(Uint8Array.prototype) as object
export const typedArrayTag = getter(TypedArrayProto, Symbol.toStringTag) as Getter
export const typedArrayBuffer = getter(TypedArrayProto, 'buffer') as Getter
export const typedArrayByteOffset = getter(TypedArrayProto, 'byteOffset') as Getter
export const typedArrayLength = getter(TypedArrayProto, 'length') as Getter
/** TypedArray.prototype.set: `u8Set(target, source, offset)`. */
export const u8Set = uncurry((TypedArrayProto as Uint8Array).set) as (target: Uint8Array, source: ArrayLike<number>, offset?: number) => void
export const dataViewBuffer = getter(DataView.prototype, 'buffer') as Getter
export const dataViewByteOffset = getter(DataView.prototype, 'byteOffset') as Getter
export const dataViewByteLength = getter(DataView.prototype, 'byteLength') as Getter
export const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength') as Getter
/** Undefined on runtimes without resizable ArrayBuffers. */
export const arrayBufferResizable: Getter | undefined = getter(ArrayBuffer.prototype, 'resizable')
/** Undefined on runtimes without ArrayBuffer.prototype.detached. */
export const arrayBufferDetached: Getter | undefined = getter(ArrayBuffer.prototype, 'detached')
export const sabByteLength = getter(SharedArrayBuffer.prototype, 'byteLength') as (buffer: SharedArrayBuffer) => number
export const sabMaxByteLength = getter(SharedArrayBuffer.prototype, 'maxByteLength') as (buffer: SharedArrayBuffer) => number
export const sabGrow = uncurry((SharedArrayBuffer.prototype as SharedArrayBuffer & { grow(n: number): void }).grow)

/**
 * A DataView whose reads and writes are the built-ins captured at load: its prototype holds
 * them as own methods, so a later change to `DataView.prototype` does not reach it.
 */
export class SafeDataView extends (DataView as new (buffer: ArrayBufferLike, byteOffset?: number, byteLength?: number) => DataView) {}
ownMethods(DataView.prototype, SafeDataView.prototype, [
  'getInt32',
  'setInt32',
  'getUint32',
  'setUint32',
  'getFloat64',
  'setFloat64',
  'getBigUint64',
  'setBigUint64',
])

export type ViewCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView
/** Constructor per view kind byte; undefined where this runtime lacks it (Float16Array). */
export const VIEW_CTORS: (ViewCtor | undefined)[] = VIEW_NAMES.map((n) => globals[n] as ViewCtor | undefined)
/** View kind byte by constructor name (the typed array's Symbol.toStringTag). */
export const VIEW_KIND: Record<string, number> = Object.create(null) as Record<string, number>
VIEW_NAMES.forEach((n, i) => {
  VIEW_KIND[n] = i
})

// ---------------------------------------------------------------------------------------
// Date, RegExp, Map, Set, WeakMap

export const DateCtor = Date
export const RegExpCtor = RegExp
export const MapCtor = Map
export const SetCtor = Set
export const mapSize = getter(Map.prototype, 'size') as Getter
export const setSize = getter(Set.prototype, 'size') as Getter
export const regexpSource = getter(RegExp.prototype, 'source') as Getter
export const regexpFlags = getter(RegExp.prototype, 'flags') as Getter
export const dateGetTime = uncurry(Date.prototype.getTime) as (self: unknown) => number
export const mapForEach = uncurry(Map.prototype.forEach) as (self: unknown, fn: (value: unknown, key: unknown) => void) => void
export const setForEach = uncurry(Set.prototype.forEach) as (self: unknown, fn: (value: unknown, key: unknown) => void) => void
export const mapSet = uncurry(Map.prototype.set) as (self: Map<unknown, unknown>, key: unknown, value: unknown) => void
export const setAdd = uncurry(Set.prototype.add) as (self: Set<unknown>, value: unknown) => void

/** A Map whose methods are the built-ins captured at load (see SafeDataView). */
export class SafeMap<K, V> extends Map<K, V> {}
ownMethods(Map.prototype, SafeMap.prototype, ['get', 'set', 'has', 'delete', 'clear', 'forEach'])
/** A WeakMap whose methods are the built-ins captured at load (see SafeDataView). */
export class SafeWeakMap<K extends object, V> extends WeakMap<K, V> {}
ownMethods(WeakMap.prototype, SafeWeakMap.prototype, ['get', 'set'])

// ---------------------------------------------------------------------------------------
// Errors

export type ErrorCtor = new (message?: string) => Error
export const DOMExceptionCtor = globals.DOMException as (new (message?: string, name?: string) => Error) | undefined
export const AggregateErrorCtor = AggregateError
export const ErrorCtor: ErrorCtor = Error
export const RangeErrorProto = RangeError.prototype
/** Constructor per error kind byte; undefined where this runtime lacks it. */
export const ERROR_CTORS: (ErrorCtor | undefined)[] = ERROR_NAMES.map((n) => {
  const c = globals[n]
  return typeof c === 'function' ? (c as ErrorCtor) : undefined
})
/** Prototype per error kind byte; undefined where this runtime lacks the constructor. */
export const ERROR_PROTOS: (object | undefined)[] = ERROR_CTORS.map((c) => c?.prototype as object | undefined)
/** DOMException.prototype.name's getter: it throws for anything but a real DOMException. */
export const domExceptionName: Getter | undefined = DOMExceptionCtor === undefined ? undefined : getter(DOMExceptionCtor.prototype, 'name')
/** Error.isError (the [[ErrorData]] brand check), where the runtime has it. */
export const errorIsError = (Error as { isError?: (value: unknown) => boolean }).isError
/** structuredClone, for the rare question only it can answer (see encode-builtins.ts). */
export const structuredCloneFn: ((value: unknown) => unknown) | undefined =
  typeof globalThis.structuredClone === 'function' ? globalThis.structuredClone : undefined

// ---------------------------------------------------------------------------------------
// Text

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true })
const encodeIntoMethod = uncurry(TextEncoder.prototype.encodeInto)
const decodeMethod = uncurry(TextDecoder.prototype.decode) as (self: TextDecoder, input: Uint8Array) => string
/** TextEncoder.prototype.encodeInto of the codec's encoder, as captured at load. */
export const encodeUtf8Into = (s: string, into: Uint8Array): { read: number; written: number } => encodeIntoMethod(utf8Encoder, s, into)
/** TextDecoder.prototype.decode of the codec's decoder, as captured at load. */
export const decodeUtf8 = (bytes: Uint8Array): string => decodeMethod(utf8Decoder, bytes)
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// ---------------------------------------------------------------------------------------
// Proxies

/**
 * Tells a Proxy from the object it stands for. Nothing in the language can (a Proxy is
 * built to be transparent), so the adapter supplies its runtime's check (`isProxy` on the
 * backend and the worker runtime); without one a Proxy of a plain object or an array is
 * encoded as what its traps report.
 */
export let isProxy: ((value: object) => boolean) | undefined

/** Installs the runtime's Proxy check (the first one given stays: every adapter gives the same answer). */
export function setProxyProbe(probe: ((value: object) => boolean) | undefined): void {
  if (isProxy === undefined && typeof probe === 'function') isProxy = probe
}
