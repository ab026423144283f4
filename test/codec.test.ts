import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { types } from 'node:util'
import { CodecFallback, decodeFrom, encodeInto, setProxyProbe } from '../src/wire/codec/index.ts'
import { thrown } from './catch.ts'

// ---------------------------------------------------------------------------------------
// helpers

const G = globalThis as unknown as Record<string, unknown>
const OFFSET = 24

function newBuffer(initial = 64, max = 64 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(initial, { maxByteLength: max })
}

function roundTrip(values: readonly unknown[], buffer = newBuffer(), maxBytes = 32 << 20): unknown[] {
  const end = encodeInto(values, buffer, OFFSET, maxBytes)
  expect(end).toBeGreaterThanOrEqual(OFFSET)
  return decodeFrom(buffer, OFFSET, end)
}

function rt<T>(value: T): T {
  const out = roundTrip([value])
  expect(out.length).toBe(1)
  return out[0] as T
}

const objTag = (v: unknown) => Object.prototype.toString.call(v)

/**
 * Strict structural comparison: types, prototypes, own enumerable keys in order, holes,
 * Object.is for primitives, Map/Set order, typed array kind/offset/length/buffer bytes,
 * and identity structure (a bijection between the objects of both graphs).
 * Returns null when equal, else a description of the first difference.
 */
function diff(a: unknown, b: unknown): string | null {
  const pairs = new Map<object, object>()
  const back = new Map<object, object>()
  function d(x: unknown, y: unknown, path: string): string | null {
    if (typeof x !== typeof y) return `${path}: typeof ${typeof x} vs ${typeof y}`
    if (x === null || typeof x !== 'object') {
      return Object.is(x, y) ? null : `${path}: ${String(x)} vs ${String(y)}`
    }
    if (y === null) return `${path}: null`
    const xo = x as object
    const yo = y as object
    const seen = pairs.get(xo)
    if (seen !== undefined) return seen === yo ? null : `${path}: identity differs`
    if (back.has(yo)) return `${path}: identity differs (merged)`
    pairs.set(xo, yo)
    back.set(yo, xo)
    if (Object.getPrototypeOf(xo) !== Object.getPrototypeOf(yo)) return `${path}: prototype differs`
    if (objTag(xo) !== objTag(yo)) return `${path}: tag ${objTag(xo)} vs ${objTag(yo)}`
    if (Array.isArray(xo)) {
      const ya = yo as unknown[]
      if (xo.length !== ya.length) return `${path}: length ${xo.length} vs ${ya.length}`
    }
    if (xo instanceof Date) {
      return Object.is(xo.getTime(), (yo as Date).getTime()) ? null : `${path}: date differs`
    }
    if (xo instanceof RegExp) {
      const yr = yo as RegExp
      return xo.source === yr.source && xo.flags === yr.flags && yr.lastIndex === 0 ? null : `${path}: regexp differs`
    }
    if (xo instanceof ArrayBuffer) {
      const xb = new Uint8Array(xo)
      const yb = new Uint8Array(yo as ArrayBuffer)
      if (xb.length !== yb.length) return `${path}: byteLength differs`
      for (let i = 0; i < xb.length; i++) if (xb[i] !== yb[i]) return `${path}: byte ${i} differs`
      return null
    }
    if (ArrayBuffer.isView(xo)) {
      const yv = yo as ArrayBufferView
      if (xo.byteOffset !== yv.byteOffset || xo.byteLength !== yv.byteLength) return `${path}: view window differs`
      if ('length' in xo && (xo as Uint8Array).length !== (yv as Uint8Array).length) return `${path}: view length differs`
      return d(xo.buffer, yv.buffer, path + '.buffer')
    }
    if (xo instanceof Map) {
      const ym = yo as Map<unknown, unknown>
      if (xo.size !== ym.size) return `${path}: map size differs`
      const xe = [...xo]
      const ye = [...ym]
      for (let i = 0; i < xe.length; i++) {
        const r = d(xe[i]![0], ye[i]![0], `${path}.<key ${i}>`) ?? d(xe[i]![1], ye[i]![1], `${path}.<value ${i}>`)
        if (r !== null) return r
      }
    }
    if (xo instanceof Set) {
      const ys = yo as Set<unknown>
      if (xo.size !== ys.size) return `${path}: set size differs`
      const xe = [...xo]
      const ye = [...ys]
      for (let i = 0; i < xe.length; i++) {
        const r = d(xe[i], ye[i], `${path}.<item ${i}>`)
        if (r !== null) return r
      }
    }
    const xk = Object.keys(xo)
    const yk = Object.keys(yo)
    if (xk.join('\u0000') !== yk.join('\u0000')) return `${path}: keys [${xk.join(',')}] vs [${yk.join(',')}]`
    for (const k of xk) {
      const r = d((xo as Record<string, unknown>)[k], (yo as Record<string, unknown>)[k], `${path}[${JSON.stringify(k)}]`)
      if (r !== null) return r
    }
    return null
  }
  return d(a, b, '$')
}

function expectSameAsClone(value: unknown): void {
  const expected = structuredClone(value)
  const actual = rt(value)
  expect(diff(expected, actual)).toBe(null)
}

// ---------------------------------------------------------------------------------------

describe('primitives', () => {
  it('round-trips undefined, null, booleans', () => {
    expect(roundTrip([undefined, null, true, false])).toEqual([undefined, null, true, false])
    const out = roundTrip([undefined])
    expect(out.length).toBe(1)
    expect(0 in out).toBe(true)
    expect(out[0]).toBe(undefined)
  })

  it('round-trips numbers exactly, including -0, NaN and infinities', () => {
    const nums = [
      0,
      -0,
      1,
      -1,
      127,
      128,
      255,
      256,
      -128,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 53,
      -(2 ** 53),
      1.5,
      -1.5,
      0.1,
      Math.PI,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      NaN,
      Infinity,
      -Infinity,
    ]
    const out = roundTrip(nums)
    expect(out.length).toBe(nums.length)
    nums.forEach((n, i) => expect(Object.is(out[i], n)).toBe(true))
  })

  it('uses a compact encoding for small integers', () => {
    const buf = newBuffer()
    expect(encodeInto([1], buf, 0, 100)).toBe(1)
    expect(encodeInto([42, 'abc'], buf, 0, 100)).toBeLessThanOrEqual(8)
  })

  it('round-trips bigints of any size and sign', () => {
    const bigs = [
      0n,
      1n,
      -1n,
      255n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 64n - 1n,
      2n ** 64n,
      -(2n ** 64n),
      2n ** 200n + 12345n,
      -(3n ** 300n),
      BigInt('0x' + 'f'.repeat(1000)),
    ]
    const out = roundTrip(bigs)
    bigs.forEach((b, i) => {
      expect(typeof out[i]).toBe('bigint')
      expect(out[i] === b).toBe(true)
    })
  })

  it('round-trips strings: empty, ascii, latin1, non-latin1, astral, BOM', () => {
    const strs = [
      '',
      'a',
      'abc',
      'hello',
      'é',
      'ÿ\u0000\u0080',
      'x'.repeat(47),
      'x'.repeat(48),
      'x'.repeat(49),
      'é'.repeat(255),
      'é'.repeat(256),
      '日本語',
      'a日',
      '😀',
      'a😀b'.repeat(100),
      '\ufeff',
      '\ufeffstart',
      'z'.repeat(1000) + 'é',
      '\u0000'.repeat(10),
    ]
    const out = roundTrip(strs)
    strs.forEach((s, i) => expect(out[i]).toBe(s))
  })

  it('round-trips lone surrogates exactly', () => {
    const strs = [
      '\ud800',
      '\udc00',
      'a\ud800b',
      'x\udfff',
      '\ud83d',
      '😀\ud83d',
      'é\udc00'.repeat(40),
      'a'.repeat(100) + '\ud800' + 'b'.repeat(100),
      '\udc00\ud800',
    ]
    const out = roundTrip(strs)
    strs.forEach((s, i) => {
      expect(out[i]).toBe(s)
      expect((out[i] as string).length).toBe(s.length)
    })
  })

  it('round-trips long strings (64 KiB ascii, 1 MiB non-ascii, long lone surrogates)', () => {
    const ascii = 'abcdefgh'.repeat(8192)
    const mixed = 'aé€😀'.repeat(1 << 17)
    const lone = ('ab\ud800' as string).repeat(30000)
    const out = roundTrip([ascii, mixed, lone], newBuffer(16))
    expect(out[0]).toBe(ascii)
    expect(out[1]).toBe(mixed)
    expect(out[2]).toBe(lone)
  })
})

describe('objects and arrays', () => {
  it('plain objects keep key order, nested values and get Object.prototype', () => {
    const o = { b: 1, a: 'x', 2: true, 1: null, nested: { z: [1, { y: 2 }] }, 'not ident': -0, '': 0 }
    const c = rt(o) as Record<string, unknown>
    expect(Object.keys(c)).toEqual(Object.keys(o))
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype)
    expect(Object.is(c['not ident'], -0)).toBe(true)
    expect(diff(structuredClone(o), c)).toBe(null)
  })

  it('null-prototype objects become ordinary objects, like structuredClone', () => {
    const o = Object.create(null) as Record<string, unknown>
    o.x = 1
    const c = rt(o)
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype)
    expect(c).toEqual({ x: 1 })
  })

  it('an own "__proto__" key stays an own property and does not change the prototype', () => {
    const o = JSON.parse('{"a":1,"__proto__":{"evil":true},"b":2}') as Record<string, unknown>
    const c = rt(o) as Record<string, unknown>
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype)
    expect(Object.keys(c)).toEqual(['a', '__proto__', 'b'])
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual({ evil: true })
    expect((c as { evil?: unknown }).evil).toBe(undefined)
  })

  it('class instances become plain objects with own enumerable string keys only', () => {
    class Point {
      hidden!: number
      constructor(
        public x: number,
        public y: number,
      ) {
        Object.defineProperty(this, 'hidden', { value: 1, enumerable: false })
        ;(this as unknown as Record<symbol, number>)[Symbol('s')] = 3
      }
      get sum(): number {
        return this.x + this.y
      }
      method(): number {
        return 1
      }
    }
    const p = new Point(1, 2)
    const c = rt(p) as unknown as Record<string, unknown>
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype)
    expect(Object.keys(c)).toEqual(['x', 'y'])
    expect(Object.getOwnPropertySymbols(c).length).toBe(0)
    expect('hidden' in c).toBe(false)
    expect('sum' in c).toBe(false)
    expect(diff(structuredClone(p), c)).toBe(null)
  })

  it('reads own enumerable accessors through normal property access', () => {
    let calls = 0
    const o = {
      get g() {
        calls++
        return 'got'
      },
    }
    const c = rt(o) as Record<string, unknown>
    expect(calls).toBe(1)
    expect(Object.getOwnPropertyDescriptor(c, 'g')?.value).toBe('got')
  })

  it('arrays keep length and holes as holes', () => {
    // eslint-disable-next-line no-sparse-arrays
    const a = [1, , 3, , ,]
    const c = rt(a) as unknown[]
    expect(c.length).toBe(5)
    expect(0 in c).toBe(true)
    expect(1 in c).toBe(false)
    expect(2 in c).toBe(true)
    expect(3 in c).toBe(false)
    expect(4 in c).toBe(false)
    expect(Array.isArray(c)).toBe(true)
    expect(diff(structuredClone(a), c)).toBe(null)
  })

  it('arrays keep extra non-index properties (also when holes and extras have the same count)', () => {
    // eslint-disable-next-line no-sparse-arrays
    const a: unknown[] & { x?: number; y?: unknown } = [1, , 3]
    a.x = 5
    const c = rt(a) as typeof a
    expect(c.length).toBe(3)
    expect(1 in c).toBe(false)
    expect(c.x).toBe(5)
    expect(Object.keys(c)).toEqual(['0', '2', 'x'])
    const m = 'xaby'.match(/a(b)/) as RegExpMatchArray
    const cm = rt(m) as RegExpMatchArray
    expect(Object.keys(cm)).toEqual(Object.keys(m))
    expect(cm.index).toBe(1)
    expect(cm.input).toBe('xaby')
    expect(diff(structuredClone(m), cm)).toBe(null)
  })

  it('huge sparse arrays are encoded by key, not by length', () => {
    const a: unknown[] = []
    a[4_000_000_000] = 'far'
    a[3] = 'near'
    const buf = newBuffer()
    const end = encodeInto([a], buf, 0, 1 << 20, undefined, true)
    expect(end).toBeLessThan(100)
    const c = decodeFrom(buf, 0, end)[0] as unknown[]
    expect(c.length).toBe(4_000_000_001)
    expect(c[4_000_000_000]).toBe('far')
    expect(c[3]).toBe('near')
    expect(Object.keys(c)).toEqual(['3', '4000000000'])
  })

  it('array subclasses become plain arrays', () => {
    class MyArray extends Array<number> {}
    const a = MyArray.from([1, 2, 3])
    const c = rt(a)
    expect(Object.getPrototypeOf(c)).toBe(Array.prototype)
    expect(c).toEqual([1, 2, 3])
  })
})

describe('built-in objects', () => {
  it('Date, including invalid dates', () => {
    const d = new Date(1700000000123)
    const c = rt(d)
    expect(c).toBeInstanceOf(Date)
    expect(c).not.toBe(d)
    expect(c.getTime()).toBe(1700000000123)
    const inv = rt(new Date(NaN))
    expect(inv).toBeInstanceOf(Date)
    expect(Number.isNaN(inv.getTime())).toBe(true)
  })

  it('RegExp keeps source and flags, resets lastIndex', () => {
    const r = /a(b)?\/c/gimsuy
    r.lastIndex = 5
    const c = rt(r)
    expect(c).toBeInstanceOf(RegExp)
    expect(c.source).toBe(r.source)
    expect(c.flags).toBe(r.flags)
    expect(c.lastIndex).toBe(0)
    expect(rt(/x/d).flags).toBe('d')
    expect(rt(new RegExp('')).source).toBe('(?:)')
  })

  it('Map and Set keep insertion order and encode keys and values recursively', () => {
    const k = { key: 1 }
    const m = new Map<unknown, unknown>([
      [2, 'two'],
      ['1', [1]],
      [k, new Set([k])],
      [NaN, -0],
    ])
    const c = rt(m)
    expect(c).toBeInstanceOf(Map)
    const entries = [...c]
    expect(entries.map((e) => e[0]).slice(0, 2)).toEqual([2, '1'])
    const ck = entries[2]![0] as object
    expect(ck).toEqual({ key: 1 })
    expect(ck).not.toBe(k)
    expect((c.get(ck) as Set<unknown>).has(ck)).toBe(true)
    expect(Object.is(c.get(NaN), -0)).toBe(true)
    const s = new Set([3, 1, 'a', 2])
    expect([...rt(s)]).toEqual([3, 1, 'a', 2])
    expect(diff(structuredClone(m), c)).toBe(null)
  })

  it('Map and Set subclasses become plain Map and Set', () => {
    class MyMap extends Map<number, number> {}
    const c = rt(new MyMap([[1, 2]]))
    expect(Object.getPrototypeOf(c)).toBe(Map.prototype)
    expect([...c]).toEqual([[1, 2]])
  })

  it('ArrayBuffer is copied', () => {
    const ab = new ArrayBuffer(16)
    new Uint8Array(ab).set([1, 2, 3, 250], 12)
    const c = rt(ab)
    expect(objTag(c)).toBe('[object ArrayBuffer]')
    expect(c).not.toBe(ab)
    expect([...new Uint8Array(c)]).toEqual([...new Uint8Array(ab)])
    new Uint8Array(c)[0] = 9
    expect(new Uint8Array(ab)[0]).toBe(0)
    expect(rt(new ArrayBuffer(0)).byteLength).toBe(0)
  })

  const viewNames = [
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
    'Float16Array',
  ]
  for (const name of viewNames) {
    const Ctor = G[name] as (new (b: ArrayBuffer, o: number, l: number) => ArrayBufferView) | undefined
    it.skipIf(Ctor === undefined)(`${name} keeps kind, byteOffset, length and the whole buffer`, () => {
      const ab = new ArrayBuffer(64)
      const bytes = new Uint8Array(ab)
      for (let i = 0; i < 64; i++) bytes[i] = (i * 37) & 0xff
      const v = new Ctor!(ab, 8, 3)
      const c = rt(v) as ArrayBufferView & { length: number }
      expect(Object.getPrototypeOf(c)).toBe(Ctor!.prototype)
      expect(c.byteOffset).toBe(8)
      expect(c.length).toBe(3)
      expect(c.buffer).not.toBe(ab)
      expect(objTag(c.buffer)).toBe('[object ArrayBuffer]')
      expect([...new Uint8Array(c.buffer)]).toEqual([...bytes])
      expect(diff(v, c)).toBe(null)
    })
  }

  it('DataView keeps byteOffset, byteLength and the whole buffer', () => {
    const ab = new ArrayBuffer(32)
    const dv = new DataView(ab, 4, 10)
    dv.setFloat64(1, Math.PI)
    const c = rt(dv)
    expect(c).toBeInstanceOf(DataView)
    expect(c.byteOffset).toBe(4)
    expect(c.byteLength).toBe(10)
    expect(c.getFloat64(1)).toBe(Math.PI)
    expect(c.buffer.byteLength).toBe(32)
  })

  it('views of one ArrayBuffer still share one buffer after decoding', () => {
    const ab = new ArrayBuffer(16)
    const a = new Uint8Array(ab, 0, 4)
    const b = new Int32Array(ab, 4, 2)
    const dv = new DataView(ab)
    const [ca, cb, cdv, cab] = roundTrip([a, { b }, dv, ab]) as [Uint8Array, { b: Int32Array }, DataView, ArrayBuffer]
    expect(ca.buffer).toBe(cb.b.buffer)
    expect(cdv.buffer).toBe(ca.buffer)
    expect(cab).toBe(ca.buffer)
    cb.b[0] = -1
    expect(ca[0]).toBe(0)
    expect(new Uint8Array(cab)[4]).toBe(255)
  })

  it('a 1 MiB Uint8Array round-trips', () => {
    const u = new Uint8Array(1 << 20)
    for (let i = 0; i < u.length; i++) u[i] = (i * 7) & 0xff
    const c = rt(u)
    expect(c.length).toBe(u.length)
    let same = true
    for (let i = 0; i < u.length; i++)
      if (c[i] !== u[i]) {
        same = false
        break
      }
    expect(same).toBe(true)
  })

  it('decoded values never alias the shared buffer', () => {
    const buf = newBuffer()
    const end = encodeInto([new Uint8Array([1, 2, 3]), new ArrayBuffer(4)], buf, 0, 1000)
    const [u, ab] = decodeFrom(buf, 0, end) as [Uint8Array, ArrayBuffer]
    expect(objTag(u.buffer)).toBe('[object ArrayBuffer]')
    expect(objTag(ab)).toBe('[object ArrayBuffer]')
    new Uint8Array(buf).fill(0)
    expect([...u]).toEqual([1, 2, 3])
  })
})

describe('errors', () => {
  const kinds = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]
  for (const K of kinds) {
    it(`${K.name} keeps class, name, message and stack`, () => {
      const e = new K('boom')
      const c = rt(e)
      expect(Object.getPrototypeOf(c)).toBe(K.prototype)
      expect(c.name).toBe(K.name)
      expect(c.message).toBe('boom')
      expect(c.stack).toBe(e.stack)
      const d = Object.getOwnPropertyDescriptor(c, 'stack')
      expect(d?.value).toBe(e.stack)
      expect(d?.enumerable).toBe(false)
      expect(d?.writable).toBe(true)
      expect(d?.configurable).toBe(true)
      expect(Object.keys(c)).toEqual([])
    })
  }

  it('an error without own message has none after decoding', () => {
    const c = rt(new TypeError())
    expect(Object.hasOwn(c, 'message')).toBe(false)
    expect(c.message).toBe('')
  })

  it('cause: own non-enumerable, recursive, any value; absent when not own', () => {
    const inner = new RangeError('inner')
    const e = new Error('outer', { cause: inner })
    const c = rt(e)
    expect(Object.hasOwn(c, 'cause')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(c, 'cause')?.enumerable).toBe(false)
    expect(c.cause).toBeInstanceOf(RangeError)
    expect((c.cause as Error).message).toBe('inner')
    const withUndefined = rt(new Error('x', { cause: undefined }))
    expect(Object.hasOwn(withUndefined, 'cause')).toBe(true)
    expect(withUndefined.cause).toBe(undefined)
    expect(Object.hasOwn(rt(new Error('x')), 'cause')).toBe(false)
    const objCause = rt(new Error('x', { cause: { code: 7, list: [1n] } }))
    expect(objCause.cause).toEqual({ code: 7, list: [1n] })
  })

  it('AggregateError keeps errors (recursive) and message', () => {
    const e = new AggregateError([new TypeError('t'), 42, { a: 1 }], 'many')
    const c = rt(e)
    expect(c).toBeInstanceOf(AggregateError)
    expect(c.message).toBe('many')
    expect(Object.getOwnPropertyDescriptor(c, 'errors')?.enumerable).toBe(false)
    expect(c.errors.length).toBe(3)
    expect(c.errors[0]).toBeInstanceOf(TypeError)
    expect((c.errors[0] as Error).message).toBe('t')
    expect(c.errors[1]).toBe(42)
    expect(c.errors[2]).toEqual({ a: 1 })
  })

  it('DOMException keeps name, message and code', () => {
    const e = new DOMException('stopped', 'AbortError')
    const c = rt(e)
    expect(c).toBeInstanceOf(DOMException)
    expect(c.name).toBe('AbortError')
    expect(c.message).toBe('stopped')
    expect(c.code).toBe(20)
    if (typeof e.stack === 'string') expect((c as Error).stack).toBe(e.stack)
    const dc = rt(new DOMException('nope', 'DataCloneError'))
    expect(dc.code).toBe(25)
  })

  it('custom error classes become Error with the original name as own property', () => {
    class HttpError extends Error {
      status = 404
      constructor(message: string) {
        super(message)
        Object.defineProperty(this, 'name', { value: 'HttpError', configurable: true, writable: true })
      }
    }
    const e = new HttpError('not found')
    const c = rt(e) as Error & { status?: number }
    expect(Object.getPrototypeOf(c)).toBe(Error.prototype)
    expect(Object.hasOwn(c, 'name')).toBe(true)
    expect(c.name).toBe('HttpError')
    expect(c.message).toBe('not found')
    expect(c.status).toBe(404)
    expect(c.stack).toBe(e.stack)
  })

  it('subclasses of built-ins keep the built-in class and their name', () => {
    class ValidationError extends TypeError {
      constructor(message: string) {
        super(message)
        this.name = 'ValidationError' // own enumerable
      }
    }
    const c = rt(new ValidationError('bad'))
    expect(c).toBeInstanceOf(TypeError)
    expect(c.name).toBe('ValidationError')
    expect(Object.keys(c)).toEqual(['name'])
  })

  it('own enumerable properties are preserved recursively (code, errno, custom fields)', () => {
    const e = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', errno: -2, syscall: 'open', info: { path: '/x', at: new Date(5) } })
    const c = rt(e) as Error & typeof e
    expect(c.code).toBe('ENOENT')
    expect(c.errno).toBe(-2)
    expect(c.syscall).toBe('open')
    expect(c.info.path).toBe('/x')
    expect(c.info.at).toBeInstanceOf(Date)
    expect(Object.keys(c)).toEqual(['code', 'errno', 'syscall', 'info'])
    expect(Object.getOwnPropertyDescriptor(c, 'code')?.enumerable).toBe(true)
  })

  it('an error whose name was changed keeps that name', () => {
    const e = new Error('m')
    e.name = 'Renamed'
    const c = rt(e)
    expect(c.name).toBe('Renamed')
    expect(c).toBeInstanceOf(Error)
  })

  it('error cycles through cause and properties', () => {
    const e = new Error('self') as Error & { self?: unknown }
    e.cause = e
    e.self = e
    const c = rt(e) as Error & { self?: unknown }
    expect(c.cause).toBe(c)
    expect(c.self).toBe(c)
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    a.cause = b
    const ca = rt(a)
    expect((ca.cause as Error).cause).toBe(ca)
  })
})

describe('identity and cycles', () => {
  it('an object reachable twice decodes to one object', () => {
    const shared = { s: 1 }
    const o = { a: shared, b: [shared, shared], m: new Map([[shared, shared]]) }
    const c = rt(o)
    expect(c.a).toBe(c.b[0])
    expect(c.b[1]).toBe(c.a)
    expect([...c.m][0]![0]).toBe(c.a)
    expect([...c.m][0]![1]).toBe(c.a)
    expect(c.a).not.toBe(shared)
  })

  it('identity holds with many objects (past the small identity list)', () => {
    const objs = Array.from({ length: 40 }, (_, i) => ({ i }))
    const value = { objs, again: [...objs].reverse(), first: objs[0], last: objs[39] }
    const c = rt(value)
    for (let i = 0; i < 40; i++) {
      expect(c.again[39 - i]).toBe(c.objs[i])
      expect(c.objs[i]!.i).toBe(i)
    }
    expect(c.first).toBe(c.objs[0])
    expect(c.last).toBe(c.objs[39])
    expect(diff(structuredClone(value), c)).toBe(null)
  })

  it('identity holds across top-level values', () => {
    const o = { x: 1 }
    const [a, b, c] = roundTrip([o, o, { o }]) as [object, object, { o: object }]
    expect(a).toBe(b)
    expect(c.o).toBe(a)
  })

  it('cyclic graphs through objects, arrays, maps and sets', () => {
    const o: Record<string, unknown> = { name: 'root' }
    o.self = o
    const arr: unknown[] = [o]
    arr.push(arr)
    o.arr = arr
    const m = new Map<unknown, unknown>()
    m.set(m, o)
    const s = new Set<unknown>()
    s.add(s)
    o.m = m
    o.s = s
    const c = rt(o) as Record<string, unknown>
    expect(c.self).toBe(c)
    const ca = c.arr as unknown[]
    expect(ca[0]).toBe(c)
    expect(ca[1]).toBe(ca)
    const cm = c.m as Map<unknown, unknown>
    expect(cm.get(cm)).toBe(c)
    const cs = c.s as Set<unknown>
    expect(cs.has(cs)).toBe(true)
    expect(diff(structuredClone(o), c)).toBe(null)
  })
})

describe('fallbacks (CodecFallback, caller retries with postMessage)', () => {
  const cases: [string, () => unknown][] = [
    ['Number wrapper', () => Object(1)],
    ['String wrapper', () => Object('s')],
    ['Boolean wrapper', () => Object(true)],
    ['BigInt wrapper', () => Object(1n)],
    ['Symbol wrapper', () => Object(Symbol('x'))],
    ['SharedArrayBuffer', () => new SharedArrayBuffer(8)],
    ['Uint8Array on a SharedArrayBuffer', () => new Uint8Array(new SharedArrayBuffer(8))],
    ['DataView on a SharedArrayBuffer', () => new DataView(new SharedArrayBuffer(8))],
    ['resizable ArrayBuffer', () => new ArrayBuffer(8, { maxByteLength: 16 })],
    ['view on a resizable ArrayBuffer', () => new Uint8Array(new ArrayBuffer(8, { maxByteLength: 16 }))],
    ['MessagePort', () => new MessageChannel().port1],
    ['Blob', () => (typeof Blob === 'function' ? new Blob(['x']) : Object(1))],
    ['object with a custom toStringTag', () => ({ [Symbol.toStringTag]: 'Custom', x: 1, __proto__: { constructor: 1 } })],
  ]
  for (const [name, make] of cases) {
    it(name, () => {
      const v = make()
      const e = thrown(() => encodeInto([1, { nested: [v] }], newBuffer(), 0, 1 << 20))
      expect(e).toBeInstanceOf(CodecFallback)
      expect(e).toBeInstanceOf(Error)
      if (v instanceof MessagePort) v.close()
    })
  }

  it('throws CodecFallback past maxBytes and never grows beyond offset + maxBytes', () => {
    const buf = newBuffer(16, 1 << 20)
    const e = thrown(() => encodeInto(['x'.repeat(1000)], buf, 8, 500))
    expect(e).toBeInstanceOf(CodecFallback)
    expect(buf.byteLength).toBeLessThanOrEqual(508)
    const e2 = thrown(() => encodeInto([new Uint8Array(5000)], buf, 8, 1000))
    expect(e2).toBeInstanceOf(CodecFallback)
    expect(buf.byteLength).toBeLessThanOrEqual(1008)
  })

  it('throws CodecFallback past the buffer maxByteLength', () => {
    const buf = newBuffer(16, 256)
    expect(thrown(() => encodeInto(['y'.repeat(300)], buf, 0, 1 << 20))).toBeInstanceOf(CodecFallback)
    expect(buf.byteLength).toBeLessThanOrEqual(256)
    const e = thrown(() => encodeInto(['日本'.repeat(100)], buf, 0, 1 << 20))
    expect(e).toBeInstanceOf(CodecFallback)
  })

  it('an encoding that fits exactly is accepted; bytes before offset are untouched', () => {
    const buf = newBuffer(8, 1 << 16)
    new Uint8Array(buf).fill(0xee)
    const end = encodeInto(['abcdef'], buf, 4, 8)
    expect(end).toBe(12)
    const u = new Uint8Array(buf)
    expect([u[0], u[1], u[2], u[3]]).toEqual([0xee, 0xee, 0xee, 0xee])
    expect(decodeFrom(buf, 4, end)).toEqual(['abcdef'])
    expect(thrown(() => encodeInto(['abcdef'], buf, 4, 7))).toBeInstanceOf(CodecFallback)
  })

  it('grows the buffer as needed', () => {
    const buf = newBuffer(8)
    const big = { s: 'q'.repeat(100_000), u: new Uint8Array(300_000).fill(3), n: Array.from({ length: 5000 }, (_, i) => i * 1.5) }
    const end = encodeInto([big], buf, 0, 1 << 24, undefined, true)
    expect(buf.byteLength).toBeGreaterThanOrEqual(end)
    expect(diff(big, decodeFrom(buf, 0, end)[0])).toBe(null)
  })

  it('hands a large array to the platform (CodecFallback) unless inline only, wherever it is', () => {
    const large = Array.from({ length: 1024 }, (_, i) => i)
    const justUnder = Array.from({ length: 1023 }, (_, i) => i)
    expect(diff(justUnder, rt(justUnder))).toBe(null)
    for (const value of [large, { deep: [1, { large }] }, new Map([[1, large]]), new Set([large])]) {
      expect(thrown(() => encodeInto([value], newBuffer(), 0, 1 << 24))).toBeInstanceOf(CodecFallback)
    }
    // a Proxy is refused before its size is looked at, as structuredClone refuses it
    setProxyProbe(types.isProxy)
    const e = thrown(() => encodeInto([new Proxy(large, {})], newBuffer(), 0, 1 << 24)) as DOMException
    expect(e.name).toBe('DataCloneError')
  })

  it('inline only: large dense, holey and decorated arrays round-trip as structuredClone has them', () => {
    const dense = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? -i - 0.5 : `s${i}`))
    const holey = dense.slice()
    delete holey[17]
    holey.length = 6000
    const decorated = Object.assign(dense.slice(), { extra: 'x', 7: 'seven' })
    const lastHole = dense.slice()
    delete lastHole[4999]
    for (const value of [dense, holey, decorated, lastHole, [dense, dense]]) {
      const buf = newBuffer()
      const out = decodeFrom(buf, 0, encodeInto([value], buf, 0, 1 << 24, undefined, true))[0]
      expect(diff(structuredClone(value), out)).toBe(null)
    }
  })

  it('below an error, a large array stays inline (the platform would not keep the error as we do)', () => {
    const large = Array.from({ length: 2000 }, (_, i) => i)
    const error = Object.assign(new TypeError('boom', { cause: { large } }), { large })
    const agg = new AggregateError(
      Array.from({ length: 1500 }, (_, i) => new RangeError(`r${i}`)),
      'many',
    )
    const [e, a, after] = roundTrip([error, agg, 1]) as [TypeError & { large: number[]; cause: { large: number[] } }, AggregateError, number]
    expect(e).toBeInstanceOf(TypeError)
    expect(e.large).toEqual(large)
    expect(e.cause.large).toEqual(large)
    expect(a.errors.length).toBe(1500)
    expect(a.errors[1499]).toBeInstanceOf(RangeError)
    expect(after).toBe(1)
    // and after the error, the platform is allowed again
    expect(thrown(() => encodeInto([error, large.slice()], newBuffer(), 0, 1 << 24))).toBeInstanceOf(CodecFallback)
  })

  it('10k-deep nesting works or falls back, never overflows the stack', () => {
    let deep: unknown = []
    for (let i = 0; i < 10_000; i++) deep = [deep]
    let deepObj: unknown = {}
    for (let i = 0; i < 10_000; i++) deepObj = { d: deepObj }
    for (const v of [deep, deepObj]) {
      let e: unknown = null
      try {
        const buf = newBuffer()
        const end = encodeInto([v], buf, 0, 1 << 24)
        decodeFrom(buf, 0, end)
      } catch (err) {
        e = err
      }
      if (e !== null) expect(e).toBeInstanceOf(CodecFallback)
    }
    // moderately deep values still use the codec
    let ok: unknown = 'leaf'
    for (let i = 0; i < 500; i++) ok = [ok]
    let c = rt(ok)
    for (let i = 0; i < 500; i++) c = (c as unknown[])[0]
    expect(c).toBe('leaf')
  })
})

describe('DataCloneError for values structuredClone rejects', () => {
  function dce(values: unknown[], label?: (i: number) => string): DOMException & { index: number; path: string } {
    const e = thrown(() => encodeInto(values, newBuffer(), 0, 1 << 20, label)) as DOMException & { index: number; path: string }
    expect(e).toBeInstanceOf(DOMException)
    expect(e).not.toBeInstanceOf(CodecFallback)
    expect(e.name).toBe('DataCloneError')
    expect(Object.hasOwn(e, 'index')).toBe(true)
    return e
  }

  it('names the position of a nested function', () => {
    const e = dce([1, { handler: () => 1 }], (i) => `Argument ${i + 1}`)
    expect(e.message).toBe('Argument 2, at handler: function could not be cloned')
    expect(e.index).toBe(1)
  })

  it('default label, top-level values and deeper paths', () => {
    expect(dce([Symbol('s')]).message).toBe('Argument 1: symbol could not be cloned')
    expect(dce(['a', 'b', [0, [1, { 'odd key': () => 1 }]]]).message).toBe('Argument 3, at [1][1]["odd key"]: function could not be cloned')
    expect(dce([new Map([[1, { f: Math.max }]])]).message).toBe('Argument 1, at <Map value #0>.f: function could not be cloned')
    expect(dce([new Set([1, 2, Symbol.iterator])]).message).toBe('Argument 1, at <Set item #2>: symbol could not be cloned')
    expect(dce([new Error('x', { cause: () => 1 })]).message).toBe('Argument 1, at cause: function could not be cloned')
    expect(dce([{ a: 1 }, 2, [3, new WeakMap()]]).index).toBe(2)
  })

  it('uses the label callback for the prefix', () => {
    const e = dce([{ x: [() => 1] }], () => 'Return value')
    expect(e.message).toBe('Return value, at x[0]: function could not be cloned')
    expect(e.path).toBe('.x[0]')
  })

  const rejected: [string, () => unknown][] = [
    ['function', () => function named() {}],
    ['class', () => class {}],
    ['symbol', () => Symbol('x')],
    ['WeakMap', () => new WeakMap()],
    ['WeakSet', () => new WeakSet()],
    ['WeakRef', () => new WeakRef({})],
    ['FinalizationRegistry', () => new FinalizationRegistry(() => {})],
    ['Promise', () => Promise.resolve(1)],
    ['Generator', () => (function* () {})()],
    ['AsyncGenerator', () => (async function* () {})()],
  ]
  for (const [name, make] of rejected) {
    it(`rejects ${name} like structuredClone does`, () => {
      const v = make()
      expect(() => structuredClone(v)).toThrow()
      const e = dce([{ v }])
      expect(e.message).toContain(', at v:')
      expect(e.message).toContain('could not be cloned')
    })
  }

  it('rejects a detached ArrayBuffer', () => {
    const ab = new ArrayBuffer(8)
    structuredClone(ab, { transfer: [ab] })
    expect(dce([ab]).message).toBe('Argument 1: detached ArrayBuffer could not be cloned')
  })

  it('the codec is usable again after an error', () => {
    dce([() => 1])
    expect(thrown(() => encodeInto([Object(1)], newBuffer(), 0, 100))).toBeInstanceOf(CodecFallback)
    const o = { a: 1 }
    const [x, y] = roundTrip([o, o]) as [object, object]
    expect(x).toBe(y)
  })
})

describe('re-entrancy and buffers', () => {
  it('a getter may itself encode into another buffer', () => {
    const other = newBuffer()
    let innerEnd = 0
    const o = {
      a: { shared: 1 },
      get b() {
        innerEnd = encodeInto([{ inner: [1, 2] }], other, 0, 1000)
        return 'b'
      },
    }
    const out = roundTrip([o, o.a])
    expect(out[0]).toEqual({ a: { shared: 1 }, b: 'b' })
    expect(out[1]).toBe((out[0] as { a: object }).a)
    expect(decodeFrom(other, 0, innerEnd)).toEqual([{ inner: [1, 2] }])
  })

  it('alternating buffers, and a buffer grown by someone else', () => {
    const b1 = newBuffer(32)
    const b2 = newBuffer(32)
    for (let i = 0; i < 3; i++) {
      const e1 = encodeInto(['one', i], b1, 0, 1000)
      const e2 = encodeInto(['two', { i }], b2, 0, 1000)
      expect(decodeFrom(b1, 0, e1)).toEqual(['one', i])
      expect(decodeFrom(b2, 0, e2)).toEqual(['two', { i }])
    }
    b1.grow(4096)
    const end = encodeInto(['z'.repeat(3000)], b1, 100, 4000)
    expect(decodeFrom(b1, 100, end)).toEqual(['z'.repeat(3000)])
  })

  it('works on a non-growable SharedArrayBuffer within its size', () => {
    const buf = new SharedArrayBuffer(64)
    const end = encodeInto([{ a: [1, 'x'] }], buf, 0, 1000)
    expect(decodeFrom(buf, 0, end)).toEqual([{ a: [1, 'x'] }])
    expect(thrown(() => encodeInto(['x'.repeat(100)], buf, 0, 1000))).toBeInstanceOf(CodecFallback)
  })

  it('an empty list encodes to nothing', () => {
    const buf = newBuffer()
    expect(encodeInto([], buf, 10, 100)).toBe(10)
    expect(decodeFrom(buf, 10, 10)).toEqual([])
  })
})

describe('parity with structuredClone (issue 13)', () => {
  it('an error keeps its class and cloneable properties; a property holding what structuredClone cannot clone is dropped alone', () => {
    const shared = { s: 1 }
    const e = Object.assign(new TypeError('m'), {
      code: 'E',
      fn: () => 1,
      nested: { keep: shared, sym: Symbol('x') }, // met `shared` first, then failed: rolled back
      after: shared,
      many: Array.from({ length: 20 }, (_, i) => ({ i })), // ids past the small identity list
      big: { list: Array.from({ length: 30 }, (_, i) => ({ i })), bad: new WeakMap() },
      later: shared,
    })
    expect(Object.prototype.toString.call(structuredClone(e))).toBe('[object Error]') // structuredClone does not fail
    const [c, s2, many] = roundTrip([e, shared, e.many]) as [TypeError & Record<string, unknown>, object, unknown]
    expect(c).toBeInstanceOf(TypeError)
    expect(c.message).toBe('m')
    expect(Object.keys(c)).toEqual(['code', 'after', 'many', 'later'])
    expect(c.after).toBe(s2)
    expect(c.later).toBe(s2)
    expect(many).toBe(c.many)
    expect((c.many as unknown[])[19]).toEqual({ i: 19 })
  })

  it('an error inside a Map, a Set and an AggregateError drops its bad property and nothing else', () => {
    const bad = () => Object.assign(new RangeError('r'), { code: 7, f: () => 1 })
    const m = new Map<unknown, unknown>([
      ['k', bad()],
      ['other', 2],
    ])
    const s = new Set([bad(), 3])
    const agg = new AggregateError([bad(), 1], 'agg')
    const [cm, cs, ca] = roundTrip([m, s, agg]) as [Map<string, Record<string, unknown>>, Set<unknown>, AggregateError]
    expect(cm.get('k')).toBeInstanceOf(RangeError)
    expect(Object.keys(cm.get('k') as object)).toEqual(['code'])
    expect(cm.get('other')).toBe(2)
    expect([...cs].length).toBe(2)
    expect(ca.errors.length).toBe(2)
    expect(ca.errors[0]).toBeInstanceOf(RangeError)
    expect(Object.keys(ca.errors[0] as object)).toEqual(['code'])
  })

  it('the errors of an AggregateError that cannot be cloned are dropped (structuredClone never carries them)', () => {
    const agg = new AggregateError([1, () => 1], 'agg')
    const c = rt(agg) as AggregateError
    expect(c).toBeInstanceOf(AggregateError)
    expect(c.message).toBe('agg')
    expect(Object.hasOwn(c, 'errors')).toBe(false)
  })

  it('a Proxy is refused, as structuredClone refuses it, without running its traps', () => {
    setProxyProbe(types.isProxy)
    const trapped: string[] = []
    const handler: ProxyHandler<object> = {
      getPrototypeOf: (t) => (trapped.push('getPrototypeOf'), Reflect.getPrototypeOf(t)),
      ownKeys: (t) => (trapped.push('ownKeys'), Reflect.ownKeys(t)),
      get: (t, k, r) => (trapped.push('get'), Reflect.get(t, k, r)),
    }
    const cases: [unknown, string][] = [
      [new Proxy({ a: 1 }, handler), 'Argument 1: Proxy could not be cloned'],
      [[1, new Proxy([1], handler)], 'Argument 1, at [1]: Proxy could not be cloned'],
      [{ e: new Proxy(new Error('x'), handler) }, 'Argument 1, at e: Proxy could not be cloned'],
      [new Map([[1, new Proxy(new Map(), handler)]]), 'Argument 1, at <Map value #0>: Proxy could not be cloned'],
    ]
    for (const [value, message] of cases) {
      expect(() => structuredClone(value)).toThrow()
      trapped.length = 0 // (Deno's structuredClone itself reads through a Proxy before it refuses it)
      const e = thrown(() => encodeInto([value], newBuffer(), 0, 1 << 20)) as DOMException
      expect(e.name).toBe('DataCloneError')
      expect(e.message).toBe(message)
      expect(trapped).toEqual([])
    }
  })

  it('an object whose Symbol.toStringTag is Error or DOMException is not taken for one', () => {
    class Fake {
      message = 'fake'
      get [Symbol.toStringTag]() {
        return 'Error'
      }
    }
    class FakeDom {
      name = 'AbortError'
      get [Symbol.toStringTag]() {
        return 'DOMException'
      }
    }
    const fakes = [new Fake(), new FakeDom(), Object.assign(Object.create(TypeError.prototype), { message: 'fake', [Symbol.toStringTag]: 'Error' })]
    for (const fake of fakes) {
      let c: unknown
      try {
        c = rt(fake)
      } catch (error) {
        expect(error).toBeInstanceOf(CodecFallback) // the caller then uses structured clone
        c = structuredClone(fake)
      }
      expect(c).not.toBeInstanceOf(Error)
      expect(objTag(c)).toBe('[object Object]')
    }
    // a real error keeps being one, whatever its tag
    const real = Object.assign(new TypeError('real'), { [Symbol.toStringTag]: 'Error' })
    expect(rt(real)).toBeInstanceOf(TypeError)
  })

  it('a 5000-deep chain of causes is kept whole (no fallback, no stack overflow)', () => {
    let e: Error = new RangeError('root')
    for (let i = 0; i < 5000; i++) e = new Error(`level ${i}`, { cause: e })
    const c = rt(e)
    let depth = 0
    let x: unknown = c
    for (; x instanceof Error && Object.hasOwn(x, 'cause'); x = x.cause) depth++
    expect(depth).toBe(5000)
    expect(x).toBeInstanceOf(RangeError)
    expect(Object.getOwnPropertyDescriptor(c, 'cause')?.enumerable).toBe(false)
    // a chain that loops back, and one that ends in a plain value or an uncloneable one
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    a.cause = b
    const ca = rt(b)
    expect((ca.cause as Error).cause as Error).toBe(ca)
    expect(rt(new Error('x', { cause: new Error('y', { cause: { v: 1 } }) })).cause).toMatchObject({ cause: { v: 1 } })
    const deepBad = new Error('0', { cause: new Error('1', { cause: new Error('2', { cause: () => 1 }) }) })
    expect(thrown(() => encodeInto([deepBad], newBuffer(), 0, 1 << 20)).message).toBe('Argument 1, at cause.cause.cause: function could not be cloned')
  })
})

describe('built-ins replaced after the codec loaded (issue 13, item 4)', () => {
  /** Replaces `key` of `owner` for the duration of `fn`. */
  function replaced(patches: [object, PropertyKey, unknown][], fn: () => void): void {
    const saved = patches.map(([owner, key]) => [owner, key, Object.getOwnPropertyDescriptor(owner, key)] as const)
    // The test runner's stack-trace hook (source maps) uses Map: errors made meanwhile must not call it.
    const prepare = (Error as { prepareStackTrace?: unknown }).prepareStackTrace
    try {
      ;(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined
      for (const [owner, key, value] of patches) {
        const d = Object.getOwnPropertyDescriptor(owner, key)
        if (d === undefined || d.configurable) Object.defineProperty(owner, key, { value, writable: true, configurable: true })
        else if (d.writable) (owner as Record<PropertyKey, unknown>)[key] = value // (some of Bun's are not configurable)
      }
      fn()
    } finally {
      for (const [owner, key, d] of saved) {
        if (d === undefined) delete (owner as Record<PropertyKey, unknown>)[key]
        else if (d.configurable) Object.defineProperty(owner, key, d)
        else if (d.writable) (owner as Record<PropertyKey, unknown>)[key] = d.value
      }
      ;(Error as { prepareStackTrace?: unknown }).prepareStackTrace = prepare
    }
  }
  const broken = () => {
    throw new Error('a replaced built-in was called')
  }
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object

  it('encodes and decodes everything the same with the built-ins it calls replaced', () => {
    const shared = { s: 'shared' }
    const value = {
      short: 'abc',
      latin1: 'ÿé'.repeat(10),
      text: 'é☃ text '.repeat(40),
      lone: '\udc00 lone'.repeat(10),
      long: 'x'.repeat(5000),
      numbers: [1, -2, 3.5, 2 ** 40, -0, NaN],
      big: [2n ** 70n, -(2n ** 65n)],
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['two', { n: 2 }],
      ]),
      set: new Set([1, 'x']),
      bytes: new Uint8Array([1, 2, 3]),
      view: new DataView(new ArrayBuffer(8), 2, 4),
      buffer: new ArrayBuffer(16),
      date: new Date(5),
      regexp: /a+/gi,
      error: Object.assign(new RangeError('r', { cause: new Error('c') }), { code: 'E' }),
      refs: [shared, shared],
      many: Array.from({ length: 40 }, (_, i) => ({ i })),
      sparse: [1, , 3],
    }
    const expected = rt(value) // the codec's own answer with the built-ins in place
    let out: unknown[] = []
    replaced(
      [
        [TextEncoder.prototype, 'encodeInto', broken],
        [TextEncoder.prototype, 'encode', broken],
        [TextDecoder.prototype, 'decode', () => 'hijacked'],
        [TypedArrayProto, 'set', () => {}],
        [TypedArrayProto, 'subarray', broken],
        [TypedArrayProto, 'slice', broken],
        [String.prototype, 'charCodeAt', () => 0],
        [String.prototype, 'slice', broken],
        [String.prototype, 'isWellFormed', () => false],
        [String.prototype, 'indexOf', broken],
        [String, 'fromCharCode', () => '?'],
        [DataView.prototype, 'getUint32', () => 0],
        [DataView.prototype, 'setUint32', () => {}],
        [DataView.prototype, 'getInt32', () => 0],
        [DataView.prototype, 'setInt32', () => {}],
        [DataView.prototype, 'getFloat64', () => 0],
        [DataView.prototype, 'setFloat64', () => {}],
        [DataView.prototype, 'getBigUint64', () => 0n],
        [DataView.prototype, 'setBigUint64', () => {}],
        [Array, 'isArray', () => false],
        [Array.prototype, 'push', broken],
        [Array.prototype, 'indexOf', broken],
        [Object, 'keys', () => []],
        [Object, 'getPrototypeOf', () => null],
        [Object.prototype, 'toString', () => '[object Object]'],
        [Map.prototype, 'set', broken],
        [Map.prototype, 'get', broken],
        [Map.prototype, 'forEach', broken],
        [Set.prototype, 'add', broken],
        [Set.prototype, 'forEach', broken],
        [WeakMap.prototype, 'get', broken],
        [WeakMap.prototype, 'set', broken],
        [BigInt, 'asUintN', () => 0n],
        [Math, 'max', () => 0],
        [Math, 'min', () => 0],
        [Reflect, 'apply', broken],
        [Function.prototype, 'call', broken],
        [Function.prototype, 'apply', broken],
      ],
      () => {
        const buffer = newBuffer(16) // a fresh buffer: its views are made while the built-ins are replaced
        const end = encodeInto([value, 'ab\ud800'.repeat(20000)], buffer, OFFSET, 1 << 24)
        out = decodeFrom(buffer, OFFSET, end)
        // and a value it refuses is still named, where it sits
        for (const bad of [{ 'odd key': new WeakMap() }, { f: () => 1 }]) {
          try {
            encodeInto([1, bad], buffer, OFFSET, 1 << 20)
          } catch (error) {
            out[out.length] = (error as Error).message
          }
        }
      },
    )
    expect(diff(expected, out[0])).toBe(null)
    expect(out[1]).toBe('ab\ud800'.repeat(20000))
    expect(out.slice(2)).toEqual(['Argument 2, at ["odd key"]: WeakMap could not be cloned', 'Argument 2, at f: function could not be cloned'])
  })
})

// ---------------------------------------------------------------------------------------
// property tests

const anythingArb = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withObjectString: false,
  withBoxedValues: false,
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', '0', '10', 'length', '')),
  values: [
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.constantFrom(-0, NaN, Infinity, -Infinity, undefined, null),
    fc.string({ unit: fc.constantFrom('a', 'é', '\ud800', '\udc00', '😀'), minLength: 40, maxLength: 200 }),
  ],
})

const errorArb = fc.record({
  kind: fc.constantFrom(
    'Error',
    'EvalError',
    'RangeError',
    'ReferenceError',
    'SyntaxError',
    'TypeError',
    'URIError',
    'AggregateError',
    'DOMException',
    'Custom',
  ),
  message: fc.option(fc.string(), { nil: undefined }),
  hasCause: fc.boolean(),
  cause: anythingArb,
  props: fc.dictionary(fc.constantFrom('code', 'errno', 'detail', 'x'), anythingArb, { maxKeys: 3 }),
  errors: fc.array(anythingArb, { maxLength: 3 }),
})

type ErrorSpec = typeof errorArb extends fc.Arbitrary<infer T> ? T : never

function makeError(spec: ErrorSpec): Error {
  const opts = spec.hasCause ? { cause: spec.cause } : undefined
  let e: Error
  if (spec.kind === 'AggregateError') e = new AggregateError(spec.errors, spec.message, opts)
  else if (spec.kind === 'DOMException') e = new DOMException(spec.message, 'NotFoundError')
  else if (spec.kind === 'Custom') {
    e = new Error(spec.message, opts)
    e.name = 'CustomError'
  } else e = new (G[spec.kind] as ErrorConstructor)(spec.message, opts)
  for (const [k, v] of Object.entries(spec.props)) {
    // defineProperty: DOMException.prototype.code is a getter without a setter
    Object.defineProperty(e, k, { value: v, writable: true, enumerable: true, configurable: true })
  }
  return e
}

function checkErrorRoundTrip(e: Error, c: unknown): void {
  expect(c).toBeInstanceOf(Error)
  const ce = c as Error
  expect(Object.getPrototypeOf(ce)).toBe(Object.getPrototypeOf(e))
  expect(ce.name).toBe(e.name)
  expect(ce.message).toBe(e.message)
  expect(Object.hasOwn(ce, 'message')).toBe(Object.hasOwn(e, 'message'))
  expect(ce.stack).toBe(e.stack)
  expect(Object.hasOwn(ce, 'cause')).toBe(Object.hasOwn(e, 'cause'))
  if (Object.hasOwn(e, 'cause')) expect(diff(structuredClone(e.cause), ce.cause)).toBe(null)
  if (e instanceof AggregateError) expect(diff(structuredClone(e.errors), (ce as AggregateError).errors)).toBe(null)
  expect(Object.keys(ce)).toEqual(Object.keys(e))
  for (const k of Object.keys(e)) {
    expect(diff(structuredClone((e as unknown as Record<string, unknown>)[k]), (ce as unknown as Record<string, unknown>)[k])).toBe(null)
  }
}

describe('property tests', () => {
  it('decode(encode(v)) equals structuredClone(v)', () => {
    fc.assert(
      fc.property(anythingArb, (v) => {
        expectSameAsClone(v)
      }),
      { numRuns: 400 },
    )
  })

  it('lists of values, with shared references, keep identity', () => {
    fc.assert(
      fc.property(fc.array(anythingArb, { maxLength: 4 }), fc.nat(3), (vals, dup) => {
        const list = vals.length > 0 ? [...vals, vals[dup % vals.length]] : vals
        const expected = structuredClone(list)
        const out = roundTrip(list, newBuffer(16))
        expect(diff(expected, out)).toBe(null)
      }),
      { numRuns: 200 },
    )
  })

  it('errors keep the richer fields', () => {
    fc.assert(
      fc.property(errorArb, (spec) => {
        const e = makeError(spec)
        checkErrorRoundTrip(e, rt(e))
      }),
      { numRuns: 200 },
    )
  })

  it('strings of any code units round-trip exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
        (a, b) => {
          const out = roundTrip([a, b, a + b])
          expect(out[0]).toBe(a)
          expect(out[1]).toBe(b)
          expect(out[2]).toBe(a + b)
        },
      ),
      { numRuns: 300 },
    )
  })
})
