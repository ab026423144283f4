/**
 * `anythread/bun`: the backend on Bun's `Worker`.
 */
import type { Backend, BootData, ExitInfo, WorkerThread } from '../src/backend.ts'
import { debugLogger } from './debug.ts'
import { workerEntry } from './entry.ts'
import { receiveMessageSync, spawnWebWorker } from './web.ts'

/** Options of {@link bunBackend}: those Bun's `Worker` really has. */
export interface BunBackendOptions {
  /** Run each worker with a smaller JavaScript heap (slower, less memory). */
  readonly smol?: boolean
  /** Modules each worker loads before anythread's entry (absolute paths or URLs). */
  readonly preload?: readonly string[]
  /** The worker's environment. Default: the host's. */
  readonly env?: Readonly<Record<string, string>>
  /** A name shown in debuggers. */
  readonly name?: string
}

declare const Bun: { readonly version: string } | undefined

/** Creates the Bun web-Worker backend. */
export function bunBackend(options: BunBackendOptions = {}): Backend {
  const entry = workerEntry('web-worker', import.meta.url)
  const workerOptions = {
    ...(options.smol !== undefined && { smol: options.smol }),
    ...(options.preload && { preload: [...options.preload] }),
    ...(options.env && { env: { ...options.env } }),
    ...(options.name && { name: options.name }),
  }
  const log = debugLogger('bun', () => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.ANYTHREAD_DEBUG)
  return {
    ...(log && { log }),
    name: 'bun',
    canUnref: true,
    spawn(boot: BootData, onExit: (info: ExitInfo) => void): WorkerThread {
      if (typeof Bun === 'undefined') throw new Error("bunBackend() runs on Bun only; use nodeBackend() from 'anythread/node' elsewhere")
      return spawnWebWorker(entry, boot, onExit, workerOptions)
    },
    receiveMessageSync,
    availableParallelism: () => navigator.hardwareConcurrency,
  }
}
