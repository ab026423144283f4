/** The node backend's modules; replaced by their text in the build (see types.ts). */
import type { ModuleSource } from './types.ts'

/** `node-worker.ts`: the entry of a `node:worker_threads` thread. */
export const nodeWorker: ModuleSource = { file: new URL('../node-worker.ts', import.meta.url) }
/** `node-loader.ts`: starts a `nodeBackend({ entry })` entry and reports why it did not load. */
export const nodeLoader: ModuleSource = { file: new URL('../node-loader.ts', import.meta.url) }
/** `node-preload.ts`: goes first in a worker's `execArgv` to report a preload that kills it while it boots. */
export const nodePreload: ModuleSource = { file: new URL('../node-preload.ts', import.meta.url) }
