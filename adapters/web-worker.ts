/**
 * Worker entry of the Deno and Bun web-Worker backends: waits for its boot message, hooks
 * the thread's death, serves calls.
 *
 * Death hooks differ by runtime: Deno has `close()` (wrapped here) and lets an `error`
 * listener keep an uncaught error from killing the host; Bun has no `close()` in workers,
 * fires `process.on('exit')`, and ends the worker after any uncaught error or rejection
 * (reported through the `error` event).
 */
import { serve } from '../src/worker/serve.ts'
import type { BootData } from '../src/shared/backend.ts'
import { preloadDidNotLoad } from './loader.ts'
import { isProxy } from './proxy.ts'
import { receiveMessageSync } from './receive.ts'

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null
  close?: () => void
  addEventListener(type: string, listener: (event: Event & { error?: unknown; reason?: unknown; message?: string }) => void): void
}

const scope = globalThis as unknown as WorkerScope
const nodeProcess = (
  globalThis as {
    process?: { on?(event: string, fn: (code: number) => void): void; exit?(code: number): never; memoryUsage?(): { heapUsed: number } }
  }
).process
const deno = (globalThis as { Deno?: { memoryUsage(): { heapUsed: number } } }).Deno

/** This worker's own heap: Deno and Bun both count it per worker, not per process. */
const heapUsed = deno !== undefined ? () => deno.memoryUsage().heapUsed : nodeProcess?.memoryUsage && (() => nodeProcess.memoryUsage!().heapUsed)

scope.onmessage = async (event: MessageEvent) => {
  scope.onmessage = null
  const boot = event.data as BootData & { readonly preload?: readonly string[] }
  // Bun's `preload`, imported here rather than by Bun: a preload that is missing or throws
  // is then reported (which file, which error) to a host that may be blocked in runSync.
  if (boot.preload !== undefined && !(await preloaded(boot, boot.preload))) return
  serve(boot, {
    receiveMessageSync,
    isProxy,
    ...(heapUsed && { heapUsed }),
    onDeath(hook) {
      const close = scope.close?.bind(scope)
      const end = (code: number): void => {
        if (close) close()
        else nodeProcess?.exit?.(code)
      }
      if (close) {
        scope.close = () => {
          hook(undefined, 0)
          close()
        }
      }
      nodeProcess?.on?.('exit', (code) => hook(undefined, code))
      scope.addEventListener('error', (event) => {
        event.preventDefault()
        hook(event.error ?? new Error(event.message ?? 'uncaught error in worker'), 1)
        end(1)
      })
      scope.addEventListener('unhandledrejection', (event) => {
        event.preventDefault()
        hook(event.reason, 1)
        end(1)
      })
    },
  })
}

/** Imports each preload in order; on a failure, reports it, ends the thread and returns false. */
async function preloaded(boot: BootData, preloads: readonly string[]): Promise<boolean> {
  for (const preload of preloads) {
    try {
      await import(preload)
    } catch (cause) {
      preloadDidNotLoad(boot, preload, cause)
      if (scope.close) scope.close()
      else nodeProcess?.exit?.(1)
      return false
    }
  }
  return true
}
