/**
 * The narrow interface each adapter implements (after anyio's `_backends`). Everything
 * else — the channel, the wire format, the wait policy, errors — lives once in `src/`.
 *
 * An adapter supplies, per runtime:
 *  1. thread start-up: `spawn()` creates a worker running the adapter's worker entry,
 *     which calls `serve()` (`src/worker/serve.ts`) with the boot data;
 *  2. event-loop isolation: the worker entry keeps the worker's loop alive while its port
 *     listens, and `unref()` lets the host exit while the worker idles;
 *  3. the blocking wait's death signal: `alive()` where the runtime can tell synchronously,
 *     and worker-side death hooks (see `WorkerRuntime.onDeath`).
 */

import type { EventChannel } from './events.ts'
import type { WorkerWaitPolicy } from './wait-policy.ts'

/**
 * A message port as the runtime types it: the global `MessagePort` where the program's
 * types have one (the DOM library, Deno, Bun, and Node's types, whose global is
 * `worker_threads.MessagePort`), else the little the backends use. Written so, the public
 * declarations need no DOM library.
 * @internal Part of the adapter interface.
 */
export type WorkerPort = typeof globalThis extends { MessagePort: { prototype: infer P } }
  ? P
  : { postMessage(message: unknown, transfer?: readonly unknown[]): void; close(): void }

/**
 * What the host hands a new worker. Structured-cloneable; `port` is transferred.
 * @internal Part of the adapter interface, not of the public API.
 */
export interface BootData {
  /** The call channel (a growable SharedArrayBuffer; see `wire/protocol.ts`). */
  readonly buffer: SharedArrayBuffer
  /** The worker's end of the control port: doorbells, cancellations, large payloads. */
  readonly port: WorkerPort
  /** The channel for calls back into the host (`fromThread`); see `wire/reverse-channel.ts`. */
  readonly reverse: SharedArrayBuffer
  /**
   * Where the worker rings when it calls back into a host whose event loop runs. A port
   * of its own: the control port must stay free of listeners, or Deno would deliver its
   * messages to the event loop instead of to a blocked host's synchronous read.
   */
  readonly reverseDoorbell: WorkerPort
  /** How the worker polls for the next call before parking (the `worker*` knobs of the wait policy). */
  readonly wait: WorkerWaitPolicy
  /** Largest payload carried in shared memory; larger ones use the port. */
  readonly maxInlineBytes: number
  /** The bridge's `workerData`, for `anythread/worker`'s `workerData` export. */
  readonly workerData?: unknown
  /**
   * Where the worker stores its heap in use (KiB, one Int32) before each answer, when the
   * pool has a `maxWorkerMemoryMB`; absent otherwise (nothing is measured).
   */
  readonly memory?: SharedArrayBuffer
}

/**
 * How a worker ended, as the runtime reported it on the host's event loop.
 * @internal Part of the adapter interface.
 */
export interface ExitInfo {
  readonly exitCode?: number
  readonly error?: unknown
}

/**
 * A running worker thread, as the host sees it.
 * @internal Part of the adapter interface.
 */
export interface WorkerThread {
  /** Stops the thread. Safe to call more than once. */
  terminate(): void
  /** Lets the host process exit while this thread idles. */
  unref(): void
  /**
   * A synchronous liveness probe the blocked host calls between parks. Return `false`
   * once the runtime knows the thread is gone. Omit when the runtime cannot tell.
   */
  alive?(): boolean
  /**
   * How the thread ended, when its death hook could not run (it was stopped from outside
   * JavaScript) and the runtime lets the host tell synchronously, from a host that is
   * blocked and cannot see the runtime's exit event. Omit when the runtime cannot tell.
   */
  vanished?(): ExitInfo | undefined
}

/**
 * A runtime backend, made by `nodeBackend()` (`anythread/node`), `denoBackend()`
 * (`anythread/deno`) or `bunBackend()` (`anythread/bun`) and passed to `createBridge`.
 * Its methods are the adapter interface, internal to anythread.
 */
export interface Backend {
  /** Short name for messages and statistics: `node`, `deno`, `bun`. */
  readonly name: string
  /**
   * Whether an idle worker can be unref'd. When it cannot (Deno web Workers), the bridge
   * stops a worker that stayed idle for `idleTimeout` so the program can exit.
   */
  readonly canUnref: boolean
  /**
   * Whether `terminate()` stops a thread that is running synchronous JavaScript. False on
   * Deno (denoland/deno#35657): such a thread runs on, holding a core, until the process
   * ends; the bridge counts it in `stats().runawayThreads`. Default: true.
   */
  readonly canStopSyncCode?: boolean
  /**
   * Starts a worker. `onExit` runs on the host's event loop when the worker ends.
   * @internal
   */
  spawn(boot: BootData, onExit: (info: ExitInfo) => void): WorkerThread
  /**
   * Takes the next message queued on `port` without waiting, or `undefined`.
   * @internal
   */
  receiveMessageSync(port: WorkerPort): { message: unknown } | undefined
  /**
   * How many threads can run in parallel here (the pool's default `maxThreads`).
   * @internal
   */
  availableParallelism?(): number
  /**
   * The `diagnostics_channel` channel named `name` (`anythread:*`), on which the bridge
   * publishes its events (see `shared/events.ts`). Omitted: nothing is published.
   * @internal
   */
  channel?(name: string): EventChannel
  /**
   * Makes a timer not keep the process alive (runtimes whose timers are plain numbers).
   * @internal
   */
  unrefTimer?(timer: unknown): void
  /**
   * Whether `value` is a Proxy. The language cannot tell (a Proxy is made to be
   * transparent); the runtime can. With it, a Proxy argument is refused with a
   * DataCloneError, as structuredClone refuses it; without it, a Proxy of a plain object
   * or an array is copied as what its traps report. Called as a plain function (no
   * `this`), once per object a call carries: it must be cheap.
   */
  isProxy?(value: object): boolean
}

/**
 * What an adapter's worker entry supplies to the runtime-neutral serve loop.
 * @internal Part of the adapter interface.
 */
export interface WorkerRuntime {
  /** Takes the next message queued on `port` without waiting, or `undefined`. */
  receiveMessageSync(port: WorkerPort): { message: unknown } | undefined
  /**
   * Registers `hook` to run synchronously when this thread is about to die: on exit,
   * on an uncaught exception or unhandled rejection (the hook gets the error), on
   * `close()`. After the hook the adapter ends the thread.
   */
  onDeath(hook: (error?: unknown, exitCode?: number) => void): void
  /** Whether `value` is a Proxy: see `Backend.isProxy`. */
  isProxy?(value: object): boolean
  /** Bytes of JavaScript heap this thread uses now, for `maxWorkerMemoryMB`; omitted where the runtime cannot tell. */
  heapUsed?(): number
}
