/**
 * Values structuredClone rejects (functions, symbols, WeakMaps, Promises, detached buffers,
 * Proxies, ...): the internal Uncloneable marker the encoder throws, the path it collects
 * while the encoder unwinds, and the DataCloneError the caller finally sees.
 */

import {
  DOMExceptionCtor,
  ErrorCtor,
  RangeErrorProto,
  StringCtor,
  charCodeAt,
  defineProperty,
  getProto,
  jsonStringify,
  stringIndexOf,
  stringSlice,
} from './intrinsics.ts'

/** Internal marker for values structuredClone rejects; the path is collected while unwinding. */
export class Uncloneable {
  readonly path: string[] = []
  constructor(readonly what: string) {}
}

/** Adds one path segment (innermost first) to an Uncloneable on its way out; passes anything else through. */
export function withPath(e: unknown, segment: string): unknown {
  if (e instanceof Uncloneable) e.path[e.path.length] = segment
  return e
}

/** Whether `k` is an identifier name (ASCII): [A-Za-z_$][A-Za-z0-9_$]*. */
function isIdentifier(k: string): boolean {
  if (k.length === 0) return false
  for (let i = 0; i < k.length; i++) {
    const c = charCodeAt(k, i)
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36
    if (!letter && (i === 0 || c < 48 || c > 57)) return false
  }
  return true
}

/** '.key' for identifiers, '["key"]' for anything else. */
export function keySegment(k: string): string {
  return isIdentifier(k) ? '.' + k : '[' + jsonStringify(k) + ']'
}

/** True for a canonical array index ('0', '1', ... below 2^32 - 1). */
export function isIndexKey(k: string): boolean {
  const n = +k
  return n >>> 0 === n && n !== 4294967295 && '' + n === k
}

/** The error structured clone throws for a value it cannot carry: a DOMException named 'DataCloneError' (an Error of that name where DOMException is missing). */
export function dataCloneError(message: string): Error {
  if (DOMExceptionCtor !== undefined) return new DOMExceptionCtor(message, 'DataCloneError')
  const error = new ErrorCtor(message)
  defineProperty(error, 'name', { value: 'DataCloneError', writable: true, enumerable: false, configurable: true })
  return error
}

/** The `dataCloneError` for an Uncloneable met at top-level position `index`, naming where it sat. */
export function uncloneableError(u: Uncloneable, index: number, label?: (index: number) => string): Error {
  const prefix = label === undefined ? `Argument ${index + 1}` : label(index)
  let path = ''
  for (let i = u.path.length - 1; i >= 0; i--) path += u.path[i]
  const where = path === '' ? prefix : `${prefix}, at ${charCodeAt(path, 0) === 46 /* . */ ? stringSlice(path, 1) : path}`
  const err = dataCloneError(`${where}: ${u.what} could not be cloned`)
  defineProperty(err, 'index', { value: index, writable: true, enumerable: true, configurable: true })
  defineProperty(err, 'path', { value: path, writable: true, enumerable: true, configurable: true })
  return err
}

/** Whether `e` is the engine's stack overflow (a RangeError about the call stack): a value nested too deeply. */
export function isStackOverflow(e: unknown): boolean {
  return typeof e === 'object' && e !== null && getProto(e) === RangeErrorProto && stringIndexOf(StringCtor((e as Error).message), 'call stack') >= 0
}
