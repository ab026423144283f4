/**
 * The first module of a web Worker started with `denoBackend({ entry })` or
 * `bunBackend({ entry })`: takes the boot message, imports the entry, hands it the boot
 * message, and tells the host why if the entry did not load or did not start serving
 * (see node-loader.ts).
 */
import type { BootData } from '../src/shared/backend.ts'
import { entryDidNotLoad, entryIsNotServing, preloadDidNotLoad } from './loader.ts'

interface LoaderScope {
  onmessage: ((event: MessageEvent) => void) | null
  close?: () => void
}

const scope = globalThis as unknown as LoaderScope
const end = (): void => {
  if (scope.close) scope.close()
  else (globalThis as { process?: { exit(code: number): void } }).process?.exit(1)
}

scope.onmessage = async (event: MessageEvent) => {
  scope.onmessage = null
  const { preload, ...boot } = event.data as BootData & { readonly entry: string; readonly preload?: readonly string[] }
  // Preloads first, as Bun runs its own before a worker's first module.
  for (const module of preload ?? []) {
    try {
      await import(module)
    } catch (cause) {
      preloadDidNotLoad(boot, module, cause)
      return end()
    }
  }
  try {
    await import(boot.entry)
  } catch (cause) {
    entryDidNotLoad(boot, boot.entry, cause)
    return end()
  }
  // The entry waits for the boot message, as it would had it been started itself (its
  // preloads done: it starts serving at once).
  const handler = scope.onmessage as ((event: { data: unknown }) => void) | null
  handler?.call(scope, { data: boot })
  if (entryIsNotServing(boot, boot.entry)) end()
}
