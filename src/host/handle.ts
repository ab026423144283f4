/**
 * A loaded worker module, as the caller holds it: `runSync`, `run` and `with`. The same
 * handle serves a bridge and a portal; only where its calls go (`CallTarget`) differs.
 */
import { registerCallbacks } from './reverse-server.ts'
import type { HostFunctions } from './reverse-server.ts'
import type { PoolCall } from './pool-task.ts'
import type { SyncCall } from './blocking-thread.ts'
import type { AnyModule, CallOptions, ModuleHandle } from '../shared/types.ts'
import { TimeoutError } from '../shared/errors.ts'
import { dataCloneError } from '../wire/codec/index.ts'
import { checkTimeout } from './validate.ts'

/** One `run()` call, as a handle hands it to its target (the pool takes it as it is). */
export type AsyncCall = Omit<PoolCall, 'cappedByMaxThreads'>

/** Where a handle's calls go: a bridge (sync worker and pool) or a portal (its thread). */
export interface CallTarget {
  /** Throws `BridgeClosedError` if no call may be made now. */
  assertOpen(): void
  readonly defaultTimeout: number
  readonly host: HostFunctions
  /** Counts a call for `stats()`. */
  countCall(): void
  callSync(call: SyncCall): unknown
  callAsync(call: AsyncCall): Promise<unknown>
}

export class Handle<M = AnyModule> implements ModuleHandle<M> {
  constructor(
    protected readonly target: CallTarget,
    /** The module's number on its target; a worker imports each number once. */
    readonly moduleId: number,
    readonly url: string,
    protected readonly options: CallOptions,
  ) {}

  runSync(name: string, ...args: unknown[]): never {
    const target = this.target
    target.assertOpen()
    if (typeof name !== 'string') throw new TypeError(`runSync: the export name must be a string, got ${typeof name}`)
    const { signal, transfer } = this.options
    if (signal?.aborted) throw signal.reason
    const timeout = this.options.timeout ?? target.defaultTimeout
    checkBeforeCall(`runSync('${name}')`, this.url, timeout, transfer)
    target.countCall()
    const release = registerCallbacks(target.host, args)
    let result: unknown
    try {
      result = target.callSync({
        moduleId: this.moduleId,
        url: this.url,
        name,
        args,
        timeout,
        transfer,
        entry: this.runSync,
      })
    } finally {
      release?.()
    }
    return result as never // not a tail call: JavaScriptCore would drop this frame from traces
  }

  run(name: string, ...args: unknown[]): Promise<never> {
    const target = this.target
    try {
      target.assertOpen()
    } catch (error) {
      return Promise.reject(error)
    }
    if (typeof name !== 'string') return Promise.reject(new TypeError(`run: the export name must be a string, got ${typeof name}`))
    const { signal, transfer, abandonOnCancel, limiter } = this.options
    const timeout = this.options.timeout ?? target.defaultTimeout
    try {
      checkBeforeCall(`run('${name}')`, this.url, timeout, transfer)
    } catch (error) {
      return Promise.reject(error)
    }
    target.countCall()
    const release = registerCallbacks(target.host, args)
    const task = target.callAsync({
      moduleId: this.moduleId,
      url: this.url,
      name,
      args,
      transfer,
      timeout,
      signal,
      abandonOnCancel: abandonOnCancel ?? false,
      limiter,
    })
    if (release !== undefined) task.then(release, release)
    return task as Promise<never>
  }

  with(options: CallOptions): ModuleHandle<M> {
    return this.derive(mergeOptions(this.options, options))
  }

  /** This handle with other options; subclasses return their own kind. */
  protected derive(options: CallOptions): Handle<M> {
    return new Handle<M>(this.target, this.moduleId, this.url, options)
  }
}

/**
 * What fails before a call is made, the same on every runtime: a deadline of 0 has passed
 * already (`TimeoutError`, the export is not called), and a detached buffer cannot be
 * transferred (`DataCloneError`, as structuredClone says).
 */
function checkBeforeCall(what: string, url: string, timeout: number, transfer: readonly object[] | undefined): void {
  if (timeout === 0) throw new TimeoutError(`${what} on ${url} timed out after 0 ms (a deadline of 0 has passed before the call)`, 0)
  if (transfer === undefined) return
  for (let i = 0; i < transfer.length; i++) {
    const item = transfer[i]
    if (!(item instanceof ArrayBuffer)) continue
    try {
      new Uint8Array(item, 0, 0) // throws on a detached buffer, on every engine
    } catch {
      throw dataCloneError(`${what}: transfer[${i}] is a detached ArrayBuffer and cannot be transferred`)
    }
  }
}

function mergeOptions(current: CallOptions, options: CallOptions): CallOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('with(): pass an options object')
  if (options.timeout !== undefined) checkTimeout(options.timeout, 'timeout')
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('with(): signal must be an AbortSignal')
  if (options.transfer !== undefined && !Array.isArray(options.transfer)) throw new TypeError('with(): transfer must be an array')
  return { ...current, ...options }
}
