/** Where `runAsWorker(fn)` leaves `fn` for the synckit wrapper module to pick up. */
export const REGISTRY = Symbol.for('anythread.synckit.v1')

export interface SynckitRegistry {
  pending: ((...args: unknown[]) => unknown) | undefined
}
