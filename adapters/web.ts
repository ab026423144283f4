/**
 * What the Deno and Bun backends share: the backend itself, over a web `Worker` that runs
 * `web-worker.ts`. Each adapter says only what differs.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { Backend } from '../src/shared/backend.ts'
import { subscribeDebugLogger } from './debug.ts'
import { isProxy } from './proxy.ts'
import { webLoader, webWorker } from './embedded/web.ts'
import { blobUrl, workerStart } from './entry.ts'
import type { WorkerStart } from './entry.ts'
import { receiveMessageSync } from './receive.ts'
import type { BootData, ExitInfo, WorkerThread } from '../src/shared/backend.ts'

/** A web Worker, with the extras Bun adds. */
interface RuntimeWorker extends Worker {
  unref?(): void
}

/**
 * Starts a module web Worker that serves `boot`; `options` are passed to the runtime.
 * Embedded text starts from a `blob:` URL (Deno and Bun both take one, and print it short
 * in stacks); the loader gets the user's entry in the boot message.
 */
export function spawnWebWorker(
  start: WorkerStart,
  boot: BootData,
  onExit: (info: ExitInfo) => void,
  options: object,
  preload?: readonly string[],
): WorkerThread {
  const { module } = start
  const url = module.text === undefined ? module.file.href : blobUrl(start.name, module.text)
  const worker = new Worker(url, { type: 'module', ...options }) as RuntimeWorker
  let ended = false
  const end = (info: ExitInfo): void => {
    if (ended) return
    ended = true
    onExit(info)
  }
  // An uncaught error in a worker would end the whole program on Deno unless handled here.
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault()
    end({ error: event.error ?? new Error(event.message) })
  })
  worker.addEventListener('close', () => end({}))
  const message = { ...boot, ...(start.entry !== undefined && { entry: start.entry }), ...(preload && { preload }) }
  worker.postMessage(message, [boot.port, boot.reverseDoorbell])
  return {
    terminate: () => {
      worker.terminate()
      end({})
    },
    unref: () => worker.unref?.(),
  }
}

/** What one web-Worker backend says of its runtime. */
export interface WebBackendSpec {
  readonly name: 'deno' | 'bun'
  /** Whether this is that runtime: the factory throws a clear error elsewhere. */
  readonly present: boolean
  /** The `entry` option: the module each worker starts with instead of the built-in one. */
  readonly entry: string | URL | undefined
  /** Whether an idle worker can be unref'd (see `Backend.canUnref`). */
  readonly canUnref: boolean
  /** See `Backend.canStopSyncCode`. */
  readonly canStopSyncCode: boolean
  /** Modules the worker imports before it serves (Bun's `preload`), by path or URL. */
  readonly preload?: readonly string[]
  /** Options passed to `new Worker()`, as the runtime takes them. */
  readonly workerOptions: object
  /** Reads `ANYTHREAD_DEBUG`. */
  readonly readDebugEnv: () => string | undefined
  readonly unrefTimer?: (timer: unknown) => void
}

/** A backend on the runtime's web `Worker`. */
export function webBackend(spec: WebBackendSpec): Backend {
  const { name } = spec
  if (!spec.present) {
    throw new Error(`${name}Backend() runs on ${name === 'deno' ? 'Deno' : 'Bun'} only; use nodeBackend() from 'anythread/node' elsewhere`)
  }
  const start = workerStart('web-worker', webWorker, spec.entry, webLoader)
  subscribeDebugLogger(spec.readDebugEnv, diagnosticsChannel)
  return {
    name,
    channel: (name) => diagnosticsChannel.channel(name),
    canUnref: spec.canUnref,
    canStopSyncCode: spec.canStopSyncCode,
    spawn: (boot, onExit) => spawnWebWorker(start, boot, onExit, spec.workerOptions, spec.preload),
    receiveMessageSync,
    isProxy,
    availableParallelism: () => navigator.hardwareConcurrency,
    ...(spec.unrefTimer && { unrefTimer: spec.unrefTimer }),
  }
}
