/**
 * Values structuredClone rejects (functions, symbols, WeakMaps, Promises, detached buffers,
 * ...): the internal Uncloneable marker the encoder throws, the path it collects while the
 * encoder unwinds, and the DataCloneError the caller finally sees.
 */

import { defineProperty, DOMExceptionCtor } from './intrinsics.ts'

/** Internal marker for values structuredClone rejects; the path is collected while unwinding. */
export class Uncloneable {
  readonly path: string[] = []
  constructor(readonly what: string) {}
}

/** Adds one path segment (innermost first) to an Uncloneable on its way out; passes anything else through. */
export function withPath(e: unknown, segment: string): unknown {
  if (e instanceof Uncloneable) e.path.push(segment)
  return e
}

const IDENT = /^[A-Za-z_$][\w$]*$/
/** '.key' for identifiers, '["key"]' for anything else. */
export function keySegment(k: string): string {
  return IDENT.test(k) ? '.' + k : '[' + JSON.stringify(k) + ']'
}

/** True for a canonical array index ('0', '1', ... below 2^32 - 1). */
export function isIndexKey(k: string): boolean {
  const n = +k
  return n >>> 0 === n && n !== 4294967295 && '' + n === k
}

/** The error structured clone throws for a value it cannot carry: a DOMException named 'DataCloneError' (an Error of that name where DOMException is missing). */
export function dataCloneError(message: string): Error {
  return DOMExceptionCtor !== undefined ? new DOMExceptionCtor(message, 'DataCloneError') : Object.assign(new Error(message), { name: 'DataCloneError' })
}

/** The `dataCloneError` for an Uncloneable met at top-level position `index`, naming where it sat. */
export function uncloneableError(u: Uncloneable, index: number, label?: (index: number) => string): Error {
  const prefix = label === undefined ? `Argument ${index + 1}` : label(index)
  const path = u.path.reverse().join('')
  const where = path === '' ? prefix : `${prefix}, at ${path.startsWith('.') ? path.slice(1) : path}`
  const err = dataCloneError(`${where}: ${u.what} could not be cloned`)
  defineProperty(err, 'index', { value: index, writable: true, enumerable: true, configurable: true })
  defineProperty(err, 'path', { value: path, writable: true, enumerable: true, configurable: true })
  return err
}
