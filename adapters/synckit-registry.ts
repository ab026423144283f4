/** Where `runAsWorker(fn)` leaves `fn` for the synckit wrapper module to pick up. */
export const REGISTRY = Symbol.for('anythread.synckit.v1')

export interface SynckitRegistry {
  pending: ((...args: unknown[]) => unknown) | undefined
}

/** How the wrapper loads one worker file: sent (as JSON) with each call, acted on once per worker thread. */
export interface WorkerSpec {
  /** The worker file, after extension probing. */
  readonly path: string
  /** `require` for a CommonJS TypeScript worker on Node (so `-r` hooks apply), else `import`. */
  readonly load: 'import' | 'require'
  /**
   * With the `tsx` runner: the URL of `tsx/esm/api`, whose `tsImport` loads an ESM TypeScript
   * worker where the worker thread ignored `--import tsx` (Node 20 applies no `--import` in workers).
   */
  readonly tsxApi?: string
  /** Global shims, each with the specifier it resolved to from the worker's folder. */
  readonly shims: ReadonlyArray<{
    readonly specifier: string
    readonly require: boolean
    readonly globalName?: string
    readonly named?: string | null
    readonly conditional?: boolean
  }>
}
