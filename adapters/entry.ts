/**
 * What a backend starts its threads with: the module `embedded/` gives (its text in the
 * build, its file in the sources), or the user's `entry`, which is started through a
 * small loader module that imports it and reports why it failed.
 */
import { pathToFileURL } from 'node:url'
import type { ModuleSource } from './embedded/types.ts'

/** What a backend's `spawn` starts, and the user's entry for the loader to import. */
export interface WorkerStart {
  /** A short name for the module (`node-worker`), shown in stack traces. */
  readonly name: string
  readonly module: ModuleSource
  /** The `entry` option as a URL string, when given: the loader imports it. */
  readonly entry?: string
}

/** The start of a backend's threads: `module`, or `loader` importing the user's `entry`. */
export function workerStart(name: string, module: ModuleSource, entry: string | URL | undefined, loader: ModuleSource): WorkerStart {
  if (entry === undefined) return { name, module }
  return { name: `${name}-loader`, module: loader, entry: entryUrl(entry).href }
}

/** The `entry` option as a URL: a URL, or an absolute path. */
function entryUrl(entry: string | URL): URL {
  if (entry instanceof URL) return entry
  if (typeof entry === 'string') {
    const windowsPath = /^[a-z]:[\\/]/i.test(entry) || entry.startsWith('\\\\')
    if (windowsPath || entry.startsWith('/')) return pathToFileURL(entry)
    if (/^[a-z][a-z0-9+.-]*:/i.test(entry)) return new URL(entry)
  }
  throw new TypeError(`entry must be a URL or an absolute path, got ${JSON.stringify(String(entry))}`)
}

const dataUrls = new Map<string, string>()

/**
 * A module's text as a `data:` URL, which `node:worker_threads` (Node, Deno, Bun) and
 * `import()` all accept. Its `sourceURL` comment gives its frames a short name in Node's
 * stacks; Deno abbreviates `data:` URLs in stacks itself. Made once per module.
 */
export function dataUrl(name: string, text: string): string {
  let url = dataUrls.get(name)
  if (url === undefined) {
    url = `data:text/javascript;base64,${btoa(`${text}\n//# sourceURL=anythread:${name}.js\n`)}`
    dataUrls.set(name, url)
  }
  return url
}

const blobUrls = new Map<string, string>()

/**
 * A module's text as a `blob:` URL, for web Workers (Deno, Bun): stack frames show a short
 * `blob:` name where Bun would print a `data:` URL whole. Made once per process and never
 * revoked: every new thread starts from it.
 */
export function blobUrl(name: string, text: string): string {
  let url = blobUrls.get(name)
  if (url === undefined) {
    url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }))
    blobUrls.set(name, url)
  }
  return url
}
