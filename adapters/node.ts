/**
 * `anythread/node`: the backend on `node:worker_threads`. Runs on Node.js, and on Deno and
 * Bun through their Node compatibility layers.
 *
 * @module anythread/node
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { ResourceLimits } from 'node:worker_threads'
import type { Backend, BootData, ExitInfo, WorkerThread } from '../src/shared/backend.ts'
import { subscribeDebugLogger } from './debug.ts'
import { isProxy } from './proxy.ts'
import { nodeLoader, nodePreload, nodeWorker } from './embedded/node.ts'
import { dataUrl, workerStart } from './entry.ts'
import type { WorkerStart } from './entry.ts'
import { receiveMessageSync } from './receive.ts'

/** Options of {@link nodeBackend}: those `node:worker_threads` really has. */
export interface NodeBackendOptions {
  /** V8 heap limits of each worker (Node honours them; Bun ignores them). */
  readonly resourceLimits?: ResourceLimits
  /**
   * Node CLI flags for each worker, e.g. `['--enable-source-maps']`. Default: the host's
   * (`process.execArgv`, inherited as Node does), so loaders given to the host
   * (`--import tsx`, `--require`, `--conditions`) reach the workers. Given, it replaces
   * the host's, as in Node: add `...process.execArgv` to keep them. A module that
   * `--import` loads and that throws or is missing fails the first call, `runSync` as
   * `run()`, with `WorkerCrashedError` and its error as `cause`, at once.
   */
  readonly execArgv?: readonly string[]
  /** The worker's `process.env`. Default: a copy of the host's. */
  readonly env?: Readonly<Record<string, string>>
  /** A name shown in debuggers and heap snapshots. */
  readonly name?: string
  /**
   * Write the worker's `process.stdout`/`process.stderr` straight to file descriptors 1
   * and 2, so output written during a sync call appears, in order, before the call
   * returns (and survives the host exiting right after). Default: `true`.
   */
  readonly syncStdio?: boolean
  /**
   * The module each worker thread starts with, instead of the built-in entry, which is
   * embedded in this module and needs no file (see "Bundling and deploying" in the
   * README): an absolute path or a `file:` URL of `anythread/node-worker`
   * (`dist/node-worker.js`, self-contained: it can be copied anywhere), or of a module
   * that imports it. If it does not load, the first call fails with `WorkerCrashedError`
   * naming it and its error, in `runSync` as in `run()`.
   */
  readonly entry?: string | URL
}

/**
 * The options the worker entry reads from `workerData`.
 * @internal
 */
export interface NodeBoot extends BootData {
  readonly syncStdio: boolean
  /** The `entry` option, for the loader (`node-loader.ts`) to import. */
  readonly entry?: string
}

/** Creates the `node:worker_threads` backend. */
export function nodeBackend(options: NodeBackendOptions = {}): Backend {
  const start = workerStart('node-worker', nodeWorker, options.entry, nodeLoader)
  const syncStdio = options.syncStdio ?? true
  subscribeDebugLogger(() => process.env.ANYTHREAD_DEBUG, diagnosticsChannel)
  return {
    name: 'node',
    channel: (name) => diagnosticsChannel.channel(name),
    canUnref: true,
    // Deno's node layer shares Deno's worker termination (denoland/deno#35657).
    canStopSyncCode: !('deno' in process.versions),
    availableParallelism,
    spawn(boot: BootData, onExit: (info: ExitInfo) => void): WorkerThread {
      const workerData: NodeBoot = { ...boot, syncStdio, ...(start.entry !== undefined && { entry: start.entry }) }
      const [filename, how] = startArguments(start)
      const create = (execArgv: readonly string[] | undefined): Worker =>
        new Worker(filename, {
          ...how,
          workerData,
          transferList: [boot.port, boot.reverseDoorbell] as unknown as import('node:worker_threads').MessagePort[],
          ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
          ...(execArgv && { execArgv: [...execArgv] }),
          ...(options.env && { env: { ...options.env } }),
          ...(options.name && { name: options.name }),
        })
      const worker = createWithPreload(create, options.execArgv)
      let failure: unknown
      let exited = false
      worker.on('error', (error) => {
        failure = error
      })
      worker.on('exit', (exitCode) => {
        exited = true
        onExit({ exitCode, error: failure })
      })
      const idleTime = loopIdleTimeProbe(worker)
      let seenRunning = false
      let seenStopped = false
      let terminated = false
      return {
        terminate: () => {
          terminated = true
          void worker.terminate()
        },
        unref: () => worker.unref(),
        alive: () => {
          if (exited) return false
          // -1 both before the worker's loop starts and after it stops: only the latter is death.
          if (idleTime() >= 0) seenRunning = true
          else if (seenRunning) seenStopped = true
          return !seenStopped
        },
        vanished: () => (seenStopped && !terminated && !exited ? outOfMemory() : undefined),
      }
    },
    receiveMessageSync,
    isProxy,
  }
}

/**
 * The flag that makes Node run a module before the thread's entry and after a module of
 * ours can be. (`--require` modules run before any `--import`, so one of ours could not see
 * them fail: they alone do not need it.)
 */
const PRELOAD_FLAG = /^--import(=|$)/

/** Set once Node refused the host's own flags as a worker's explicit `execArgv`. */
let hostFlagsRefused = false

/**
 * Creates a worker whose death while it runs its `--import` modules a blocked host notices
 * at once: `node-preload.ts` goes first in its `execArgv`. Only on Node (Deno's node layer
 * refuses `--import` in `execArgv`; Bun's ignores it) and only when there is an `--import`. With no `execArgv` option the worker inherits the host's flags;
 * passing them explicitly instead fails for flags Node allows a process but not a worker
 * (V8 flags such as `--max-old-space-size`, `--inspect`): then inherit, without the hook.
 */
function createWithPreload(create: (execArgv: readonly string[] | undefined) => Worker, execArgv: readonly string[] | undefined): Worker {
  if ('deno' in process.versions || 'bun' in process.versions) return create(execArgv)
  const flags = execArgv ?? (hostFlagsRefused ? [] : process.execArgv)
  if (!flags.some((flag) => PRELOAD_FLAG.test(flag))) return create(execArgv)
  const preload = nodePreload.text === undefined ? nodePreload.file.href : dataUrl('node-preload', nodePreload.text)
  try {
    return create(['--import', preload, ...flags])
  } catch (error) {
    if (execArgv !== undefined || (error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error
    hostFlagsRefused = true
    return create(undefined)
  }
}

/**
 * What `new Worker()` takes to start `start`: embedded text as a `data:` URL on Node and
 * Deno, as `eval` code on Bun (whose stacks would print a `data:` URL whole; it runs eval
 * code as a module from a `blob:` URL); a file as its URL.
 */
function startArguments({ name, module }: WorkerStart): [URL | string, { eval?: boolean }] {
  if (module.text === undefined) return [module.file, {}]
  if ('bun' in process.versions) return [module.text, { eval: true }]
  return [new URL(dataUrl(name, module.text)), {}]
}

/**
 * How Node ends a worker that reached its heap limit, which is the one way a worker stops
 * without running its JavaScript exit handlers that the host did not ask for
 * (`terminate()`): `Worker::NearHeapLimit` in Node's src/node_worker.cc calls
 * `Exit(kGenericUserError, "ERR_WORKER_OUT_OF_MEMORY", "JS heap out of memory")`. Node
 * hands that code and error to the host only through its event loop (the 'exit' and
 * 'error' events; there is no synchronous way), which a host blocked in
 * `runSync` does not run: so a thread seen stopped that way gets them from here, the same
 * code, `code` and message `run()` gets from Node.
 */
function outOfMemory(): ExitInfo {
  const error = new Error('Worker terminated due to reaching memory limit: JS heap out of memory')
  Object.defineProperty(error, 'code', { value: 'ERR_WORKER_OUT_OF_MEMORY', enumerable: true, writable: true, configurable: true })
  // No frame of ours says anything about it: as Node prints it, without frames.
  error.stack = `Error [ERR_WORKER_OUT_OF_MEMORY]: ${error.message}`
  return { exitCode: 1, error }
}

/**
 * Node reports a stopped worker's event-loop idle time as -1 at once, even while the host
 * is blocked and its 'exit' event cannot run; that is how a death without an exit hook
 * (out of memory) is noticed. The public `eventLoopUtilization()` answers only after the
 * host's loop has seen the worker come online, which a host blocked since the first call
 * never has, so read the worker handle's own probe when Node exposes it. Deno and Bun have
 * no such probe: there the answer is always 0 (alive).
 */
function loopIdleTimeProbe(worker: Worker): () => number {
  if ('bun' in process.versions || 'deno' in process.versions) return () => 0
  const key = Object.getOwnPropertySymbols(worker).find((symbol) => symbol.description === 'kHandle')
  const handle = key === undefined ? undefined : (worker as unknown as Record<symbol, { loopIdleTime?: () => number } | null>)[key]
  if (typeof handle?.loopIdleTime === 'function') return () => handle.loopIdleTime!()
  return () => worker.performance.eventLoopUtilization().idle || 0
}
