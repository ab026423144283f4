import { afterEach, describe, expect, it } from 'vitest'
import { BridgeClosedError, CancelledError, DeadlockError, QueueFullError, TimeoutError, WorkerCrashedError, WouldBlockError } from '../dist/index.js'
import { backendName, bridge, closeAll, fixture, runtime, tasks } from './harness.ts'
import type * as Tasks from './fixtures/tasks.js'
import { rejection, thrown } from './catch.ts'

afterEach(closeAll)

describe(`errors cross the thread boundary (${runtime}/${backendName})`, () => {
  it('keep the class and message of built-in errors', () => {
    const error = thrown(() => tasks().runSync('throwTypeError', 'wrong type'))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('wrong type')
    expect(error.name).toBe('TypeError')
  })

  it('keep rejections of async exports', () => {
    const error = thrown(() => tasks().runSync('rejectLater'))
    expect(error).toBeInstanceOf(SyntaxError)
    expect(error.message).toBe('async failure')
  })

  it('keep the cause chain', () => {
    const error = thrown(() => tasks().runSync('throwWithCause'))
    expect(error.message).toBe('outer')
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause.message).toBe('middle')
    expect(error.cause.cause).toBeInstanceOf(RangeError)
    expect(error.cause.cause.message).toBe('root cause')
  })

  it('keep own properties and the name of custom errors', () => {
    const error = thrown(() => tasks().runSync('throwCustom'))
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ValidationError')
    expect(error.message).toBe('bad input')
    expect(error.code).toBe('E_INVALID')
    expect(error.details).toEqual({ field: 'email', limits: [1, 2] })
  })

  it('keep AggregateError and its errors', () => {
    const error = thrown(() => tasks().runSync('throwAggregate'))
    expect(error).toBeInstanceOf(AggregateError)
    expect(error.message).toBe('several')
    expect(error.errors).toHaveLength(2)
    expect(error.errors[0]).toBeInstanceOf(RangeError)
    expect(error.errors[1].message).toBe('second')
  })

  it('keep DOMException names', () => {
    const error = thrown(() => tasks().runSync('throwDOMException'))
    expect(error).toBeInstanceOf(DOMException)
    expect(error.name).toBe('NotFoundError')
    expect(error.message).toBe('nothing here')
  })

  it('keep thrown non-errors as they are', () => {
    expect(thrown(() => tasks().runSync('throwString'))).toBe('a plain string')
  })

  it('show the worker frames and the caller frames in the stack', () => {
    function callerFrameMarker() {
      const value = tasks().runSync('throwTypeError', 'trace me') // not a tail call: JSC drops those frames
      return value
    }
    const error = thrown(callerFrameMarker)
    expect(error.stack).toContain('tasks.js') // worker frame
    expect(error.stack).toContain('called from another thread')
    expect(error.stack).toContain('errors.test') // caller frames
    // JavaScriptCore (Bun) leaves some frames out of its traces; V8 keeps them all.
    if (runtime !== 'bun') expect(error.stack).toContain('callerFrameMarker')
  })

  it('report an error whose properties cannot be cloned, with its message', () => {
    const error = thrown(() => tasks().runSync('returnUncloneableError'))
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toBe('has a function')
  })

  it('give every anythread error a stable code, kept across threads', async () => {
    const handle = tasks()
    const timedOut = thrown(() => handle.with({ timeout: 50 }).runSync('delay', 5_000, 'late'))
    expect(timedOut.code).toBe('ERR_ANYTHREAD_TIMEOUT')
    const crossed = thrown(() => handle.runSync('throwOwnError'))
    expect(crossed).toBeInstanceOf(TimeoutError)
    expect(crossed.code).toBe('ERR_ANYTHREAD_TIMEOUT')
    expect((await rejection(handle.run('throwOwnError'))).code).toBe('ERR_ANYTHREAD_TIMEOUT')
    const missing = thrown(() => handle.runSync('noSuchExport' as never))
    expect(missing.code).toBe('ERR_ANYTHREAD_MODULE_LOAD')
    const codes = [
      [new WorkerCrashedError('x'), 'ERR_ANYTHREAD_WORKER_CRASHED'],
      [new DeadlockError('x'), 'ERR_ANYTHREAD_DEADLOCK'],
      [new BridgeClosedError('x'), 'ERR_ANYTHREAD_CLOSED'],
      [new CancelledError('x'), 'ERR_ANYTHREAD_CANCELLED'],
      [new QueueFullError('x'), 'ERR_ANYTHREAD_QUEUE_FULL'],
      [new WouldBlockError('x'), 'ERR_ANYTHREAD_WOULD_BLOCK'],
    ] as const
    for (const [error, code] of codes) expect(error.code).toBe(code)
  })

  it('drop only the part that cannot be cloned: an own property holding a function', async () => {
    for (const error of [thrown(() => tasks().runSync('throwWithFunctionProperty')), await rejection(tasks().run('rejectWithFunctionProperty'))]) {
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toBe('has a function')
      expect(error.code).toBe('E_FN')
      expect(error.details).toEqual({ retry: false })
      expect('callback' in error).toBe(false)
      expect(Object.keys(error)).toEqual(['code', 'details'])
    }
  })

  it('keep the class and properties of an error thrown while the result is encoded', () => {
    const error = thrown(() => tasks().runSync('returnGetterThatThrows'))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.message).toBe('the getter failed')
    expect(error.code).toBe('E_GETTER')
    expect('callback' in error).toBe(false)
  })

  it('keep the class and properties when the cause cannot be cloned, and drop only the cause', () => {
    const error = thrown(() => tasks().runSync('throwWithUncloneableCause'))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('the cause is a function')
    expect(error.code).toBe('E_CAUSE')
    expect(Object.hasOwn(error, 'cause')).toBe(false)
    expect(Object.keys(error)).toEqual(['code']) // no own enumerable `name` gained on the way
  })

  it('carry an error argument with a function property like structuredClone: class kept, function dropped', () => {
    const argument = Object.assign(new TypeError('as an argument'), { code: 'E_ARG', callback: () => 1 })
    expect(tasks().runSync('describeError', argument)).toEqual({
      isError: true,
      isTypeError: true,
      name: 'TypeError',
      message: 'as an argument',
      keys: ['code'],
    })
  })

  it('drop only the part that cannot be cloned on the portal path too', async () => {
    const portal = bridge().startBlockingPortal().load<typeof Tasks>(fixture('tasks.js'))
    const error = thrown(() => portal.startTaskSoon('throwWithFunctionProperty').result())
    expect(error).toBeInstanceOf(TypeError)
    expect(error.code).toBe('E_FN')
    expect('callback' in error).toBe(false)
    const cause = await rejection(portal.startTaskSoon('throwWithUncloneableCause') as unknown as Promise<unknown>)
    expect(cause).toBeInstanceOf(TypeError)
    expect(cause.code).toBe('E_CAUSE')
    const getter = thrown(() => portal.startTaskSoon('returnGetterThatThrows').result())
    expect(getter).toBeInstanceOf(RangeError)
    expect(getter.code).toBe('E_GETTER')
  })
})
