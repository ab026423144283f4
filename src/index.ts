/**
 * anythread: call async functions from sync code, on a worker thread, on Node.js, Deno
 * and Bun; and hand work to a thread pool from async code. See the README for a tour.
 *
 * @module anythread
 */
export { createBridge } from './host/bridge.ts'
export type { Bridge, BridgeOptions, BridgeStats } from './host/bridge.ts'
export type { AnyFunction, AnyModule, CallOptions, Closeable, ExportArgs, ExportName, ExportResult, ModuleHandle } from './shared/types.ts'
export {
  AnythreadError,
  BridgeClosedError,
  CancelledError,
  DeadlockError,
  ModuleLoadError,
  QueueFullError,
  TimeoutError,
  WorkerCrashedError,
  WouldBlockError,
} from './shared/errors.ts'
export type { BlockingPortal, PortalFuture, PortalModuleHandle, PortalOptions, PortalStopOptions } from './host/portal.ts'
export { CapacityLimiter, CapacityToken, defaultThreadLimiter } from './host/limiter.ts'
export type { CapacityLimiterStatistics } from './host/limiter.ts'
export type { PoolOptions, TaskBorrower } from './host/pool-task.ts'
export type { DurationSummary } from './host/stats.ts'
export { DEFAULT_WAIT_POLICY } from './shared/wait-policy.ts'
export type { WaitPolicy } from './shared/wait-policy.ts'
export type { Backend, BootData, ExitInfo, WorkerRuntime, WorkerThread } from './shared/backend.ts'
export type {
  CallApi,
  CallGaveUpEvent,
  EventBase,
  EventChannel,
  EventChannels,
  EventName,
  TaskEventBase,
  TaskFinishedEvent,
  TaskQueuedEvent,
  TaskStartedEvent,
  WorkerEventBase,
  WorkerExitEvent,
  WorkerKind,
  WorkerReadyEvent,
  WorkerRecycleEvent,
  WorkerStartEvent,
} from './shared/events.ts'
