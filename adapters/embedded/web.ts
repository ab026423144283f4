/** The Deno and Bun backends' modules; replaced by their text in the build (see types.ts). */
import type { ModuleSource } from './types.ts'

/** `web-worker.ts`: the entry of a Deno or Bun web Worker. */
export const webWorker: ModuleSource = { file: new URL('../web-worker.ts', import.meta.url) }
/** `web-loader.ts`: starts a `denoBackend({ entry })` or `bunBackend({ entry })` entry and reports why it did not load. */
export const webLoader: ModuleSource = { file: new URL('../web-loader.ts', import.meta.url) }
