/**
 * The Proxy check every backend supplies (`Backend.isProxy`, `WorkerRuntime.isProxy`): the
 * language cannot tell a Proxy from its target, the runtime can, and all three have
 * `util.types.isProxy` through `node:util`. Captured when the adapter loads, before any
 * worker module runs.
 */
import { types } from 'node:util'

export const isProxy: (value: object) => boolean = types.isProxy
