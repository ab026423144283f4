/** `anythread/synckit`'s module; replaced by its text in the build (see types.ts). */
import type { ModuleSource } from './types.ts'

/** `synckit-worker.ts`: the module `anythread/synckit` loads into its worker. */
export const synckitWorker: ModuleSource = { file: new URL('../synckit-worker.ts', import.meta.url) }
