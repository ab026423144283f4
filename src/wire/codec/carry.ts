/**
 * The last resort for an error that cannot cross as it is (its cause is a function, a
 * getter on it throws, it is not an error at all...): `carryable` builds one that can,
 * keeping what the codec can carry of the original (its class, name, message, stack,
 * cause, the errors of an AggregateError and each own enumerable property) and dropping,
 * one by one, the parts it cannot.
 */

import { encodeInto } from './encode.ts'
import {
  DOMExceptionCtor,
  ERROR_CTORS,
  ErrorCtor,
  StringCtor,
  defineProperty,
  domExceptionName,
  errorIsError,
  getOwnPropertyDescriptor,
  getProto,
  hasOwn,
  objectKeys,
  objectToString,
  setProto,
} from './intrinsics.ts'
import { K_DOMEXCEPTION } from './format.ts'

const hidden = { writable: true, enumerable: false, configurable: true } as const

let scratch: SharedArrayBuffer | undefined
const SCRATCH_LIMIT = 16 * 1024 * 1024

/** Whether the codec can carry `value` (checked by encoding it into a scratch buffer). */
function encodable(value: unknown): boolean {
  try {
    scratch ??= new SharedArrayBuffer(4096, { maxByteLength: SCRATCH_LIMIT })
    encodeInto([value], scratch, 0, SCRATCH_LIMIT, undefined, true) // inline only: what the reverse channel can carry too
    return true
  } catch {
    return false
  }
}

/** Reads `key` of `o`; `undefined`, and `ok` false, when that throws. */
function read(o: object, key: string): { ok: boolean; value?: unknown } {
  try {
    return { ok: true, value: (o as Record<string, unknown>)[key] }
  } catch {
    return { ok: false }
  }
}

function isDOMException(value: object): boolean {
  if (domExceptionName === undefined) return false
  try {
    domExceptionName(value)
    return true
  } catch {
    return false
  }
}

function isError(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false
  if (isDOMException(value)) return true
  if (errorIsError !== undefined) return errorIsError(value)
  return objectToString(value) === '[object Error]'
}

/** The built-in error constructor nearest on `value`'s prototype chain (Error if none). */
function builtinClass(value: object): new (message?: string) => Error {
  for (let p = getProto(value) as object | null; p !== null; p = getProto(p) as object | null) {
    for (let k = 0; k < ERROR_CTORS.length; k++) {
      const c = ERROR_CTORS[k]
      if (k !== K_DOMEXCEPTION && c !== undefined && c.prototype === p) return c
    }
  }
  return ErrorCtor
}

/** A short description of a thrown value that is not an error. */
function describe(value: unknown): string {
  try {
    return StringCtor(value)
  } catch {
    return typeof value
  }
}

/**
 * An error the codec can carry in place of `value`: a copy of it with the parts that cannot
 * cross left out (an error of the same built-in class, on the same prototype chain, so it
 * encodes with the same class and name), or, for a value that is not an error, an Error
 * describing it.
 */
export function carryable(value: unknown): Error {
  if (!isError(value)) return new ErrorCtor(describe(value))
  const domException = isDOMException(value)
  const message = domException || hasOwn(value, 'message') ? read(value, 'message') : { ok: false }
  const text = message.ok ? describe(message.value) : undefined
  let copy: Error
  if (domException) {
    const name = read(value, 'name')
    copy = new (DOMExceptionCtor as new (message?: string, name?: string) => Error)(text ?? '', name.ok ? describe(name.value) : 'Error')
  } else {
    // the nearest built-in error class on the chain, then the original's own prototype
    const Ctor = builtinClass(value)
    copy = text === undefined ? new Ctor() : new Ctor(text)
    if (text === undefined) delete (copy as { message?: string }).message
    try {
      setProto(copy, getProto(value))
    } catch {
      // a prototype we may not use: the built-in class is kept
    }
  }
  const name = getOwnPropertyDescriptor(value, 'name')
  if (name !== undefined && !domException) {
    const v = read(value, 'name')
    if (v.ok) defineProperty(copy, 'name', { value: describe(v.value), writable: true, enumerable: name.enumerable === true, configurable: true })
  } else if (!domException) {
    const v = read(value, 'name')
    const inherited = read(copy, 'name')
    if (v.ok && inherited.ok && v.value !== inherited.value) defineProperty(copy, 'name', { value: describe(v.value), ...hidden })
  }
  const stack = read(value, 'stack')
  if (stack.ok && typeof stack.value === 'string') defineProperty(copy, 'stack', { value: stack.value, ...hidden })
  else delete (copy as { stack?: string }).stack
  const parts = ['cause', 'errors'] as const
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i] as string
    if (!hasOwn(value, key)) continue
    const part = read(value, key)
    if (part.ok && encodable(part.value)) defineProperty(copy, key, { value: part.value, ...hidden })
  }
  let keys: string[] = []
  try {
    keys = objectKeys(value)
  } catch {
    // a Proxy's ownKeys trap may throw: no own properties then
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (key === 'message' || key === 'stack' || key === 'cause' || key === 'errors' || key === 'name') continue
    const part = read(value, key)
    if (part.ok && encodable(part.value)) defineProperty(copy, key, { value: part.value, writable: true, enumerable: true, configurable: true })
  }
  return copy
}
