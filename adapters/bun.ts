/**
 * `anythread/bun`: the backend on Bun's `Worker`.
 *
 * @module anythread/bun
 */
import type { Backend } from '../src/shared/backend.ts'
import { webBackend } from './web.ts'

/** Options of {@link bunBackend}: those Bun's `Worker` really has. */
export interface BunBackendOptions {
  /** Run each worker with a smaller JavaScript heap (slower, less memory). */
  readonly smol?: boolean
  /**
   * Modules each worker imports, in order, before it serves calls (absolute paths or
   * URLs): after anythread's entry has loaded, before any worker module. anythread imports
   * them itself rather than through Bun's own `preload`, so one that is missing or throws
   * fails the first call, `runSync` as `run()`, at once with `WorkerCrashedError` naming
   * it and its error.
   */
  readonly preload?: readonly string[]
  /** The worker's environment. Default: the host's. */
  readonly env?: Readonly<Record<string, string>>
  /** A name shown in debuggers. */
  readonly name?: string
  /**
   * The module each worker starts with, instead of the built-in entry, which is embedded
   * in this module and needs no file (see "Bundling and deploying" in the README): an
   * absolute path or a URL of `anythread/web-worker` (`dist/web-worker.js`,
   * self-contained: it can be copied anywhere), or of a module that imports it. If it does
   * not load, the first call fails with `WorkerCrashedError` naming it and its error, in
   * `runSync` as in `run()`.
   */
  readonly entry?: string | URL
}

/**
 * What `new Worker()` takes on Bun. tsconfig.bun.json checks this file against Bun's own types
 * (`@types/bun`), where the global `Bun` exists and `Worker`'s options are Bun's `WorkerOptions`:
 * each option set below must be one Bun has, with a type it accepts. The main project and
 * `deno check` have no Bun types and check only that it is one of {@link BunBackendOptions}.
 */
type BunWorkerOptions = typeof globalThis extends { Bun: unknown }
  ? NonNullable<ConstructorParameters<typeof Worker>[1]>
  : { -readonly [K in keyof BunBackendOptions]?: unknown }

/** Creates the Bun web-Worker backend. Throws on another runtime. */
export function bunBackend(options: BunBackendOptions = {}): Backend {
  const workerOptions: BunWorkerOptions = {}
  if (options.smol !== undefined) workerOptions.smol = options.smol
  if (options.env) workerOptions.env = { ...options.env }
  if (options.name) workerOptions.name = options.name
  return webBackend({
    name: 'bun',
    present: 'Bun' in globalThis,
    entry: options.entry,
    ...(options.preload && { preload: [...options.preload] }),
    canUnref: true,
    canStopSyncCode: true,
    workerOptions,
    readDebugEnv: () => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.ANYTHREAD_DEBUG,
  })
}
