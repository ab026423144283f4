/**
 * `anythread/synckit`: synckit's API on anythread, so a project can switch by changing
 * one import. `createSyncFn(path)` gives a function that blocks until the worker's
 * `runAsWorker` function settles; one worker per path, one cached function per path.
 *
 * What differs from synckit: errors keep their class, cause and properties; a worker that
 * dies fails the call with `WorkerCrashedError` instead of hanging; a missing or broken
 * worker file fails with `ModuleLoadError`; it runs on Node, Deno and Bun (the runtime's
 * own backend is picked); `tsRunner` and `globalShims` are not needed (Deno and Bun load
 * TypeScript themselves) and are ignored.
 *
 * @module anythread/synckit
 */
import { createBridge } from '../src/host/bridge.ts'
import type { Backend } from '../src/shared/backend.ts'
import { toModuleUrl } from '../src/host/modules.ts'
import { bunBackend } from './bun.ts'
import { denoBackend } from './deno.ts'
import { synckitWorker } from './embedded/synckit.ts'
import { dataUrl } from './entry.ts'
import { nodeBackend } from './node.ts'
import { REGISTRY } from './synckit-registry.ts'
import type { SynckitRegistry } from './synckit-registry.ts'

/** Any function, as synckit types it. */
// biome-ignore lint: synckit's own signature.
export type AnyFn = (...args: any[]) => any

/** A function made synchronous: same parameters, the awaited return value. */
export type Syncify<T extends AnyFn> = (...args: Parameters<T>) => Awaited<ReturnType<T>>

/** synckit's options; `timeout` and `execArgv` are honoured, the rest accepted and ignored. */
export interface SynckitOptions {
  /** Deadline of each call in milliseconds: `TimeoutError`. */
  readonly timeout?: number
  /** Node CLI flags for the worker (Node backend only). */
  readonly execArgv?: string[]
  readonly transferList?: unknown[]
  readonly tsRunner?: string
  readonly globalShims?: unknown
}

const cached = new Map<string, AnyFn>()

/** synckit's `createSyncFn`: an absolute path or file URL of a worker file that calls `runAsWorker`. */
export function createSyncFn<T extends AnyFn>(workerPath: URL | string, timeoutOrOptions?: SynckitOptions | number): Syncify<T> {
  const options = typeof timeoutOrOptions === 'number' ? { timeout: timeoutOrOptions } : (timeoutOrOptions ?? {})
  const url = toFileUrl(workerPath)
  let fn = cached.get(url)
  if (fn === undefined) {
    const bridge = createBridge({ backend: runtimeBackend(options.execArgv), ...(options.timeout !== undefined && { timeout: options.timeout }) })
    const wrapper = bridge.load(synckitWorker.text === undefined ? synckitWorker.file : dataUrl('synckit-worker', synckitWorker.text))
    fn = (...args: unknown[]) => wrapper.runSync('call', url, ...args)
    cached.set(url, fn)
  }
  return fn as Syncify<T>
}

/**
 * synckit's `runAsWorker`: call it at the top level of a worker file with the (async)
 * function to run. Outside an anythread worker it does nothing.
 */
export function runAsWorker<T extends AnyFn>(fn: T): void {
  const registry = (globalThis as { [REGISTRY]?: SynckitRegistry })[REGISTRY]
  if (registry !== undefined) registry.pending = fn
}

function runtimeBackend(execArgv: string[] | undefined): Backend {
  const globals = globalThis as { Deno?: unknown; Bun?: unknown }
  if (globals.Deno !== undefined) return denoBackend()
  if (globals.Bun !== undefined) return bunBackend()
  return nodeBackend(execArgv === undefined ? {} : { execArgv })
}

/** An absolute path or file URL as a file URL string, with synckit's kind of message otherwise. */
function toFileUrl(path: URL | string): string {
  try {
    return toModuleUrl(path, ['file:'])
  } catch {
    throw new TypeError(`createSyncFn: '${String(path)}' must be an absolute path or a file URL`)
  }
}
