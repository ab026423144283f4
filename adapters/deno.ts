/**
 * `anythread/deno`: the backend on Deno's web `Worker`.
 *
 * @module anythread/deno
 */
import type { Backend } from '../src/shared/backend.ts'
import { webBackend } from './web.ts'

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

declare const Deno:
  | {
      readonly env: { get(name: string): string | undefined }
      readonly permissions: { querySync(descriptor: { name: 'env'; variable: string }): { state: string } }
      unrefTimer(id: number): void
    }
  | undefined

/**
 * `ANYTHREAD_DEBUG`, read only when the program may read it: without `--allow-env`,
 * `Deno.env.get` would stop an interactive program at a permission prompt.
 */
function readDebugEnv(): string | undefined {
  if (Deno?.permissions.querySync({ name: 'env', variable: 'ANYTHREAD_DEBUG' }).state !== 'granted') return undefined
  return Deno.env.get('ANYTHREAD_DEBUG')
}

/** Creates the Deno web-Worker backend. Throws on another runtime. */
export function denoBackend(options: DenoBackendOptions = {}): Backend {
  return webBackend({
    name: 'deno',
    present: typeof Deno !== 'undefined',
    entry: options.entry,
    // A Deno web Worker cannot be unref'd: the bridge stops it when idle instead.
    canUnref: false,
    canStopSyncCode: false, // denoland/deno#35657
    workerOptions: {
      ...(options.name && { name: options.name }),
      ...(options.permissions && { deno: { permissions: options.permissions } }),
    },
    readDebugEnv,
    unrefTimer: (timer) => Deno!.unrefTimer(timer as number),
  })
}
