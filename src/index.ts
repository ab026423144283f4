/**
 * anythread: call async functions from sync code, on a worker thread, on Node.js, Deno
 * and Bun; and hand work to a thread pool from async code. See the README for a tour.
 *
 * @packageDocumentation
 */
export { createBridge } from './bridge.ts'
export type { Bridge, BridgeOptions, BridgeStats } from './bridge.ts'
export type { AnyFunction, AnyModule, CallOptions, ExportArgs, ExportName, ExportResult, ModuleHandle } from './types.ts'
export { AnythreadError, BridgeClosedError, CancelledError, DeadlockError, ModuleLoadError, TimeoutError, WorkerCrashedError } from './errors.ts'
export type { BlockingPortal, PortalFuture, PortalModuleHandle, PortalOptions, PortalStopOptions } from './portal.ts'
export { CapacityLimiter, CapacityToken, WouldBlockError, defaultThreadLimiter } from './limiter.ts'
export type { CapacityLimiterStatistics } from './limiter.ts'
export { QueueFullError } from './pool.ts'
export type { PoolOptions } from './pool.ts'
export { DEFAULT_WAIT_POLICY } from './wait.ts'
export type { WaitPolicy } from './wait.ts'
export type { Backend, BootData, ExitInfo, WorkerRuntime, WorkerThread } from './backend.ts'
