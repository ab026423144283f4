/**
 * `anythread/deno`: the backend on Deno's web `Worker`.
 */
import type { Backend, BootData, ExitInfo, WorkerThread } from '../src/backend.ts'
import { debugLogger } from './debug.ts'
import { workerEntry } from './entry.ts'
import { receiveMessageSync, spawnWebWorker } from './web.ts'

/** A permission: `true`/`false`, or the list of what is granted. */
export type DenoPermissionValue = boolean | 'inherit' | readonly string[]

/** The permissions of a Deno worker (a subset of the host's). */
export type DenoPermissions =
  | 'inherit'
  | 'none'
  | {
      readonly env?: DenoPermissionValue
      readonly ffi?: DenoPermissionValue
      readonly import?: DenoPermissionValue
      readonly net?: DenoPermissionValue
      readonly read?: DenoPermissionValue
      readonly run?: DenoPermissionValue
      readonly sys?: DenoPermissionValue
      readonly write?: DenoPermissionValue
    }

/** Options of {@link denoBackend}: those Deno's `Worker` really has. */
export interface DenoBackendOptions {
  /**
   * Confines the worker to these permissions (never more than the host has). Deno needs
   * `--unstable-worker-options` (or `"unstable": ["worker-options"]` in deno.json) for
   * this: without it, Deno ends the whole program with exit code 70 when the worker is
   * created, which no code can catch, and a program cannot ask Deno whether the flag is on.
   */
  readonly permissions?: DenoPermissions
  /** A name shown in debuggers. */
  readonly name?: string
}

declare const Deno: { readonly env: { get(name: string): string | undefined } } | undefined

/** Creates the Deno web-Worker backend. */
export function denoBackend(options: DenoBackendOptions = {}): Backend {
  const entry = workerEntry('web-worker', import.meta.url)
  const workerOptions = {
    ...(options.name && { name: options.name }),
    ...(options.permissions && { deno: { permissions: options.permissions } }),
  }
  const log = debugLogger('deno', () => Deno?.env.get('ANYTHREAD_DEBUG'))
  return {
    ...(log && { log }),
    name: 'deno',
    // A Deno web Worker cannot be unref'd: the bridge stops it when idle instead.
    canUnref: false,
    spawn(boot: BootData, onExit: (info: ExitInfo) => void): WorkerThread {
      if (typeof Deno === 'undefined') throw new Error("denoBackend() runs on Deno only; use nodeBackend() from 'anythread/node' elsewhere")
      return spawnWebWorker(entry, boot, onExit, workerOptions)
    },
    receiveMessageSync,
    availableParallelism: () => navigator.hardwareConcurrency,
    unrefTimer: (timer) => (globalThis as unknown as { Deno: { unrefTimer(id: number): void } }).Deno.unrefTimer(timer as number),
  }
}
