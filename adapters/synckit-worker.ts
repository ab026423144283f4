/**
 * The module a synckit-style bridge loads: it installs the global shims, loads the user's
 * worker file (which calls `runAsWorker(fn)` at top level), and calls that `fn`.
 */
import { errorMessage, portable } from '../src/shared/errors.ts'
import { REGISTRY } from './synckit-registry.ts'
import type { SynckitRegistry, WorkerSpec } from './synckit-registry.ts'

type Fn = (...args: unknown[]) => unknown

const registry: SynckitRegistry = { pending: undefined }
;(globalThis as { [REGISTRY]?: SynckitRegistry })[REGISTRY] = registry
const functions = new Map<string, Fn>()

export async function call(specText: string, ...args: unknown[]): Promise<unknown> {
  let fn = functions.get(specText)
  if (fn === undefined) {
    fn = await load(JSON.parse(specText) as WorkerSpec)
    functions.set(specText, fn)
  }
  return fn(...args)
}

async function load(spec: WorkerSpec): Promise<Fn> {
  const url = toFileUrl(spec.path)
  registry.pending = undefined
  try {
    for (const shim of spec.shims) await installShim(shim, spec.path)
    if (spec.load === 'require') (await requireFrom(spec.path))(spec.path)
    else
      await importBoxed(url).catch(async (error: unknown) => {
        if (spec.tsxApi === undefined || (error as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error
        const api = (await import(spec.tsxApi)) as { tsImport(url: string, parent: string): Promise<unknown> }
        await api.tsImport(url, import.meta.url)
      })
  } catch (cause) {
    // Named so the host revives it as a ModuleLoadError, as for any other worker module.
    const error = new Error(`Cannot load worker module ${spec.path}: ${errorMessage(cause)}`, { cause: portable(cause) })
    error.name = 'ModuleLoadError'
    throw Object.assign(error, { moduleUrl: url })
  }
  const fn = registry.pending
  if (fn === undefined) throw new TypeError(`${spec.path} never called runAsWorker(fn): a synckit worker file must`)
  return fn
}

async function installShim(shim: WorkerSpec['shims'][number], workerPath: string): Promise<void> {
  let value: unknown
  if (shim.require) {
    const module = (await requireFrom(workerPath))(shim.specifier) as Record<string, unknown>
    value = shim.named?.trim() ? module[shim.named] : module
  } else {
    const namespace = (await importBoxed(shim.specifier)).module
    const fallback = namespace.default as Record<string, unknown> | undefined
    value = shim.named === null ? namespace : shim.named?.trim() ? (namespace[shim.named] ?? fallback?.[shim.named]) : fallback
  }
  if (!shim.globalName) return
  const globals = globalThis as Record<string, unknown>
  if (shim.conditional === false || !globals[shim.globalName]) globals[shim.globalName] = value
}

async function requireFrom(path: string): Promise<(id: string) => unknown> {
  const { createRequire } = await import('node:module')
  return createRequire(path)
}

function toFileUrl(path: string): string {
  const url = new URL('file://')
  url.pathname = path.replace(/\\/g, '/').replace(/^(?=[A-Za-z]:)/, '/')
  return url.href
}

/**
 * Imports `url` without resolving a Promise with its namespace: a module that exports
 * `then` makes its namespace a thenable, which `await import(url)` would call. A one-line
 * `data:` wrapper hands the namespace over in a box, as the worker server does.
 */
function importBoxed(url: string): Promise<{ module: Record<string, unknown> }> {
  const source = `import * as module from ${JSON.stringify(url)}; export const box = { module }`
  return import(`data:text/javascript;base64,${btoa(source)}`).then((wrapper: { box: { module: Record<string, unknown> } }) => wrapper.box)
}
