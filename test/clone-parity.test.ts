import { afterEach, describe, expect, it } from 'vitest'
import { WorkerCrashedError } from '../dist/index.js'
import { rejection, thrown } from './catch.ts'
import { backendName, bridge, closeAll, elapsed, fixture, runtime, tasks } from './harness.ts'
import type * as Tasks from './fixtures/tasks.js'

afterEach(closeAll)

/** What structuredClone throws for `value` on this runtime, if anything. */
function cloneError(value: unknown): unknown {
  try {
    structuredClone(value)
  } catch (error) {
    return error
  }
  return undefined
}

describe(`values cross like structuredClone carries them (${runtime}/${backendName})`, () => {
  it('refuses a Proxy argument, as structuredClone does, naming where it is', async () => {
    const handle = tasks()
    const cases: [unknown, string][] = [
      [new Proxy({ a: 1 }, {}), 'Argument 1'],
      [new Proxy([1, 2], {}), 'Argument 1'],
      [{ inner: new Proxy({ a: 1 }, {}) }, 'Argument 1, at inner'],
      [[0, new Proxy(new Error('x'), {})], 'Argument 1, at [1]'],
    ]
    for (const [value, where] of cases) {
      expect(cloneError(value)).toMatchObject({ name: 'DataCloneError' })
      const sync = thrown(() => handle.runSync('echo', value))
      expect(sync.name).toBe('DataCloneError')
      expect(sync.message).toContain(where)
      const async = await rejection(handle.run('echo', value))
      expect(async.name).toBe('DataCloneError')
    }
    expect(handle.runSync('echo', { a: 1 })).toEqual({ a: 1 }) // and goes on
  })

  it('a Proxy never runs its traps on the way', () => {
    const trapped: string[] = []
    const spy = new Proxy(
      { a: 1 },
      {
        getPrototypeOf: (target) => (trapped.push('getPrototypeOf'), Reflect.getPrototypeOf(target)),
        ownKeys: (target) => (trapped.push('ownKeys'), Reflect.ownKeys(target)),
        get: (target, key, receiver) => (trapped.push(`get ${String(key)}`), Reflect.get(target, key, receiver)),
      },
    )
    expect(thrown(() => tasks().runSync('echo', spy)).name).toBe('DataCloneError')
    expect(trapped).toEqual([])
  })

  it('an object whose Symbol.toStringTag says Error arrives as a plain object', () => {
    const handle = tasks()
    class Fake {
      message = 'not an error'
      code = 1
      get [Symbol.toStringTag]() {
        return 'Error'
      }
    }
    const fakes = [
      new Fake(),
      Object.assign(Object.create(Error.prototype), { message: 'not an error', code: 1, [Symbol.toStringTag]: 'Error' }),
      Object.assign(Object.create(RangeError.prototype), { message: 'not an error', code: 1, [Symbol.toStringTag]: 'Error' }),
    ]
    for (const fake of fakes) {
      expect(Object.prototype.toString.call(fake)).toBe('[object Error]')
      expect(Object.prototype.toString.call(structuredClone(fake))).toBe('[object Object]')
      expect(handle.runSync('kindOf', fake)).toBe('[object Object]')
      const back = handle.runSync('echo', fake) as object
      expect(back).not.toBeInstanceOf(Error)
      expect(back).toEqual({ message: 'not an error', code: 1 })
    }
    class FakeDom {
      name = 'AbortError'
      get [Symbol.toStringTag]() {
        return 'DOMException'
      }
    }
    expect(handle.runSync('kindOf', new FakeDom())).toBe('[object Object]')
    expect(handle.runSync('echo', new FakeDom())).toEqual({ name: 'AbortError' })
    // a real error keeps being an error, whatever its tag says
    const tagged = Object.assign(new TypeError('real'), { [Symbol.toStringTag]: 'Error' })
    expect(handle.runSync('describeError', tagged)).toMatchObject({ isTypeError: true, message: 'real' })
  })

  it('an error that went the fallback way gains no enumerable own name', async () => {
    const handle = tasks()
    const substituted = thrown(() => handle.runSync('throwWithUncloneableCause'))
    expect(Object.keys(substituted)).not.toContain('name')
    expect(Object.getOwnPropertyDescriptor(substituted, 'name')?.enumerable ?? false).toBe(false)
    const crash = elapsed(() => tasks().runSync('crashInTimer')).error as WorkerCrashedError
    expect(crash).toBeInstanceOf(WorkerCrashedError)
    expect(Object.keys(crash.cause as object)).not.toContain('name')
    const portal = bridge().startBlockingPortal().load<typeof Tasks>(fixture('tasks.js'))
    const task = await rejection(portal.startTaskSoon('throwWithUncloneableCause') as unknown as Promise<unknown>)
    expect(task).toBeInstanceOf(TypeError)
    expect(Object.keys(task)).toEqual(['code'])
  })

  it('large arrays (the platform clones them) arrive as structuredClone has them, both ways', async () => {
    const handle = tasks()
    const dense = Array.from({ length: 20_000 }, (_, i) => [i, -i - 0.5, `s${i}`, i % 2 === 0, null, -0, Number.NaN][i % 7])
    const holey = dense.slice()
    delete holey[3]
    holey.length = 30_000
    const decorated = Object.assign(dense.slice(), { extra: { nested: [1, 2] } })
    const objects = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', `t${i % 7}`] }))
    const shared = { same: true }
    const identity = [Array.from({ length: 2000 }, () => shared), shared]
    for (const value of [dense, holey, decorated, objects, { inner: [1, { dense }] }, identity]) {
      expect(handle.runSync('echo', value)).toStrictEqual(structuredClone(value))
      expect(await handle.run('echo', value)).toStrictEqual(structuredClone(value))
    }
    const [many, one] = handle.runSync('echo', identity) as [object[], object]
    expect(many[1999]).toBe(one)
  })

  it('a Proxy inside a large array is refused, as structuredClone refuses it', async () => {
    const handle = tasks()
    const value = [...Array.from({ length: 3000 }, (_, i) => i), new Proxy({ a: 1 }, {})]
    expect(cloneError(value)).toMatchObject({ name: 'DataCloneError' })
    expect(thrown(() => handle.runSync('echo', value)).name).toBe('DataCloneError')
    expect((await rejection(handle.run('echo', value))).name).toBe('DataCloneError')
    expect(handle.runSync('echo', [1])).toEqual([1]) // and goes on
    const withFunction = { list: [...Array.from({ length: 3000 }, (_, i) => i), () => 1] }
    const named = thrown(() => handle.runSync('argCount', 1, withFunction))
    expect(named.name).toBe('DataCloneError')
    expect(named.message).toContain('Argument 2, at list[3000]')
  })

  it('an error holding a large array keeps its class and own properties', () => {
    const large = Array.from({ length: 5000 }, (_, i) => i)
    const error = Object.assign(new TypeError('boom', { cause: large }), { large, code: 'E_LARGE' })
    const back = tasks().runSync('echo', error) as TypeError & { large: number[]; code: string }
    expect(back).toBeInstanceOf(TypeError)
    expect(back.message).toBe('boom')
    expect(back.code).toBe('E_LARGE')
    expect(back.large).toEqual(large)
    expect(back.cause).toEqual(large)
    expect(Object.keys(back)).toEqual(['large', 'code'])
  })

  it('a 5000-deep cause chain arrives whole, on every runtime', async () => {
    const handle = tasks()
    const error = thrown(() => handle.runSync('throwDeepCause', 5000))
    let depth = 0
    let root: unknown = error
    for (; root instanceof Error && Object.hasOwn(root, 'cause'); root = root.cause) depth++
    expect(depth).toBe(5000)
    expect(root).toBeInstanceOf(RangeError)
    expect((root as Error).message).toBe('root')
    expect(await rejection(handle.run('throwDeepCause', 5000))).toBeInstanceOf(Error)
    // and as an argument
    let chain: Error = new RangeError('root')
    for (let i = 0; i < 5000; i++) chain = new Error(`level ${i}`, { cause: chain })
    expect(handle.runSync('causeDepth', chain)).toBe(5000)
  })
})
