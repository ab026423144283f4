/**
 * The module a synckit-style bridge loads: it imports the user's worker file, which calls
 * `runAsWorker(fn)` at top level, and calls that `fn`.
 */
import { errorMessage, portable } from '../src/shared/errors.ts'
import { REGISTRY } from './synckit-registry.ts'
import type { SynckitRegistry } from './synckit-registry.ts'

const registry: SynckitRegistry = { pending: undefined }
;(globalThis as { [REGISTRY]?: SynckitRegistry })[REGISTRY] = registry
const functions = new Map<string, (...args: unknown[]) => unknown>()

export async function call(url: string, ...args: unknown[]): Promise<unknown> {
  let fn = functions.get(url)
  if (fn === undefined) {
    registry.pending = undefined
    try {
      await import(url)
    } catch (cause) {
      // Named so the host revives it as a ModuleLoadError, as for any other worker module.
      const error = new Error(`Cannot load worker module ${url}: ${errorMessage(cause)}`, { cause: portable(cause) })
      error.name = 'ModuleLoadError'
      throw Object.assign(error, { moduleUrl: url })
    }
    fn = registry.pending
    if (fn === undefined) throw new TypeError(`${url} never called runAsWorker(fn): a synckit worker file must`)
    functions.set(url, fn)
  }
  return fn(...args)
}
