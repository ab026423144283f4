/**
 * The events a bridge publishes on `diagnostics_channel` channels named `anythread:*`:
 * their names and payloads, defined once. The core stays runtime-neutral: the adapter
 * supplies the channels (`Backend.channel`, over `node:diagnostics_channel` on Node, Deno
 * and Bun), and nothing is built or published while a channel has no subscriber.
 *
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel'
 * diagnostics_channel.subscribe('anythread:task:finished', (event) => console.log(event))
 * ```
 *
 * @module
 */

/** What a worker thread serves: `runSync` (one per bridge), the `run()` pool, or a portal. */
export type WorkerKind = 'sync' | 'pool' | 'portal'

/** Fields every event carries. */
export interface EventBase {
  /** The bridge's number in this realm (1 for the first bridge created). */
  readonly bridge: number
  /** The backend's name: `node`, `deno`, `bun`. */
  readonly backend: string
}

/** Fields of every worker event. */
export interface WorkerEventBase extends EventBase {
  /** The worker's number in this realm, as in `ANYTHREAD_DEBUG` lines (`worker #3`). */
  readonly worker: number
  readonly kind: WorkerKind
}

/** `anythread:worker:start`: a worker thread was created. */
export type WorkerStartEvent = WorkerEventBase

/** `anythread:worker:ready`: the host saw the worker booted (at the latest with its first answer). */
export interface WorkerReadyEvent extends WorkerEventBase {
  /** From its creation to when the host saw it ready, ms. */
  readonly startupMs: number
}

/** `anythread:worker:exit`: a worker thread ended, stopped by the host or on its own. */
export interface WorkerExitEvent extends WorkerEventBase {
  /**
   * Why: `idle`, `bridge closed`, `this portal closed`, `died`, `exited`, or a recycle
   * reason (`recycled: ...`, also published as `anythread:worker:recycle`).
   */
  readonly reason: string
  /** Whether the host stopped it (false: it exited or died on its own). */
  readonly stoppedByHost: boolean
  /** Its exit code, when the runtime gave one. */
  readonly exitCode?: number
  /** What killed it (an uncaught error, a failed start), when known. */
  readonly error?: unknown
  /**
   * Stopped in synchronous code the runtime cannot interrupt (Deno): it keeps a core until
   * the process ends (`stats().runawayThreads`).
   */
  readonly runaway: boolean
}

/** `anythread:worker:recycle`: the host replaces a live worker (`maxTasksPerWorker`, `maxWorkerMemoryMB`, a timed-out or cancelled call it would not let go of). */
export interface WorkerRecycleEvent extends WorkerEventBase {
  /** Why, e.g. `recycled: ran 100 tasks (maxTasksPerWorker)`. */
  readonly reason: string
}

/** Which call API an event is about. */
export type CallApi = 'runSync' | 'run' | 'portal'

/** `anythread:call:timeout` and `anythread:call:cancel`: the caller gave up on a call (deadline; abort signal). */
export interface CallGaveUpEvent extends EventBase {
  readonly api: CallApi
  /** The worker that ran it, if it had one yet. */
  readonly worker: number | undefined
  /** The export called and its module's URL. */
  readonly name: string
  readonly module: string
  /** The `run()` task's number (as in `anythread:task:*`), for `run()` calls. */
  readonly task?: number
}

/** Fields of every `run()` task event. */
export interface TaskEventBase extends EventBase {
  /** The task's number in its bridge's pool (as in `limiter.statistics().borrowers`). */
  readonly task: number
  readonly name: string
  readonly module: string
}

/** `anythread:task:queued`: `run()` accepted a task; it waits for a limiter token and a thread. */
export type TaskQueuedEvent = TaskEventBase

/** `anythread:task:started`: a task was posted to a pool thread. */
export interface TaskStartedEvent extends TaskEventBase {
  readonly worker: number
  /** How long it waited (token, then thread), ms. */
  readonly waitMs: number
}

/**
 * `anythread:task:finished`: a task is done, whichever way: its promise settled and its
 * thread let go of it (a timed-out or abandoned task settles first and is finished once its
 * thread stops running it; its limiter token is given back then).
 */
export interface TaskFinishedEvent extends TaskEventBase {
  /** Whether it fulfilled. */
  readonly ok: boolean
  /** What it rejected with, when it did. */
  readonly error?: unknown
  /** How long it ran on its thread, ms (0 if it never started). */
  readonly runMs: number
}

/** Every channel's name and the payload published on it. */
export interface EventChannels {
  'anythread:worker:start': WorkerStartEvent
  'anythread:worker:ready': WorkerReadyEvent
  'anythread:worker:exit': WorkerExitEvent
  'anythread:worker:recycle': WorkerRecycleEvent
  'anythread:call:timeout': CallGaveUpEvent
  'anythread:call:cancel': CallGaveUpEvent
  'anythread:task:queued': TaskQueuedEvent
  'anythread:task:started': TaskStartedEvent
  'anythread:task:finished': TaskFinishedEvent
}

export type EventName = keyof EventChannels

/** The channel names, for subscribers that want them all (`ANYTHREAD_DEBUG`). */
export const EVENT_NAMES: readonly EventName[] = [
  'anythread:worker:start',
  'anythread:worker:ready',
  'anythread:worker:exit',
  'anythread:worker:recycle',
  'anythread:call:timeout',
  'anythread:call:cancel',
  'anythread:task:queued',
  'anythread:task:started',
  'anythread:task:finished',
]

/**
 * A named channel as the adapter supplies it: `node:diagnostics_channel`'s `Channel`.
 * @internal Part of the adapter interface.
 */
export interface EventChannel {
  readonly hasSubscribers: boolean
  publish(message: unknown): void
}

const silent: EventChannel = { hasSubscribers: false, publish() {} }

let lastBridge = 0

/** A bridge's publisher: `emit` builds the payload only when someone listens. */
export class Events {
  private readonly channels = new Map<EventName, EventChannel>()
  readonly bridge = ++lastBridge

  constructor(
    readonly backend: string,
    open: ((name: string) => EventChannel) | undefined,
  ) {
    for (const name of EVENT_NAMES) this.channels.set(name, open?.(name) ?? silent)
  }

  /** Publishes on `name` what `payload()` returns, plus the bridge and backend; nothing at all without subscribers. */
  emit<N extends EventName>(name: N, payload: () => Omit<EventChannels[N], keyof EventBase>): void {
    const channel = this.channels.get(name)!
    if (!channel.hasSubscribers) return
    channel.publish({ bridge: this.bridge, backend: this.backend, ...payload() })
  }
}
