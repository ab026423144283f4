/**
 * The wire protocol, in one place (after comlink's `protocol.ts`): the shared-memory
 * layouts of the two channels a worker has, their state words, and the messages on its
 * control port. Both threads import this; it imports nothing.
 *
 * The call channel (host → worker calls, `channel.ts`): a header of Int32 slots, then a
 * data region that carries the request or the response of the single call in flight.
 * The reverse channel (worker → host calls back, `reverse-channel.ts`): the same shape,
 * smaller. Both keep a state word `(seq << 3) | phase`: every transition is a
 * compare-and-swap on the whole word, so a late answer to an abandoned call (its seq is
 * stale) can never be taken for the answer to a newer one.
 *
 * Call channel:
 *   host    Idle ──write request──▶ Request
 *   worker  Request ──claim──▶ Claimed ──decoded──▶ Running
 *   worker  Running ──claim answer──▶ Responding ──written──▶ Response
 *   host    Response ──read──▶ (next call)
 *   host    Request | Running ──deadline──▶ Idle   (abandon: the worker drops its answer)
 *
 * Reverse channel:
 *   worker  Idle ──write request──▶ Request
 *   host    Request ──claim──▶ Serving ──written──▶ Response
 *   worker  Response ──read──▶ Idle
 */

/** One state encoding for both channels: a 28-bit seq above a 3-bit phase. */
const SEQ_MASK = 0x0fffffff
export const stateOf = (seq: number, phase: number): number => (seq << 3) | phase
export const phaseOf = (state: number): number => state & 7
export const seqOf = (state: number): number => (state >>> 3) & SEQ_MASK
/** The seq after `seq`; never 0, so a zeroed slot never names a call. */
export const nextSeq = (seq: number): number => (seq + 1) & SEQ_MASK || 1

/**
 * The call channel's header: three 64-byte cache lines of Int32 slots. The host writes
 * the first, the worker the second, so the host spinning on `State` is disturbed only by
 * the worker's state transitions, not by its bookkeeping; the third holds what the host
 * writes on every call but the worker rarely reads.
 */
export const HEADER_BYTES = 192

/** Int32 indices into the call channel's header. */
export const Slot = {
  // Line 0: State, and what the host writes.
  /** `stateOf(seq, Phase)` of the call in flight. */
  State: 0,
  /** The seq of the newest call the host abandoned; read by `checkCancelled()`. */
  Cancel: 1,
  /**
   * Non-zero while the host may be waiting on `Wake` or `Busy` (parked in `Atomics.wait`,
   * or a pool's `Atomics.waitAsync`): only then does the worker pay for `Atomics.notify`.
   * The host sets it before it waits and the wait re-checks the value, so no wake is lost.
   */
  HostWaits: 2,
  /** End offset of the request payload in the data region. */
  RequestLength: 3,
  /** `Flag.*` of the request payload. */
  RequestFlags: 4,
  /**
   * The seq of the newest answer the host has started to read. The worker watches it after
   * answering: an answer left unread means the host is not running (see `WaitPolicy.workerPickupMicros`).
   */
  AnswerRead: 5,

  // Line 1: what the worker writes.
  /** `WorkerIdle.Awake` while the worker polls for requests, `Parked` when it needs a doorbell. */
  WorkerIdle: 16,
  /** `Life.*`: set to `Dead` by the worker's death hook, which also signals `Wake`. */
  Life: 17,
  /** Calls the worker has claimed and not settled yet. */
  Busy: 18,
  /** The exit code the worker's death hook recorded, or -1. */
  ExitCode: 19,
  /** End offset of the response payload in the data region. */
  ResponseLength: 20,
  /** `Flag.*` of the response payload. */
  ResponseFlags: 21,
  /**
   * An event count: the worker adds one for everything a waiting host must see (an
   * answer, its death, a call back into the host, the end of start-up). The host reads it
   * before checking and waits on that value, so an event between the check and the wait
   * is never missed.
   */
  Wake: 22,
  /**
   * Portal tasks the worker has answered through the port (see `PortMessage` 'done'). The
   * host compares it with the answers it has read: a difference means one is in transit.
   */
  TaskAnswers: 23,
  /**
   * The seq of the call whose module the worker is loading, or 0. The call's deadline does
   * not run meanwhile (start-up has its own); the worker wakes the host when it is done.
   */
  Loading: 24,

  // Line 2: written by the host on every call, read by the worker only to call back.
  /**
   * Non-zero while the host is blocked in `runSync` on this worker: the worker's calls
   * back into the host then wake it through `Wake` rather than the doorbell port.
   */
  HostBlocked: 32,
} as const

/** Which header slots describe a payload: the request's (host) or the response's (worker). */
export const RequestSlots = { length: Slot.RequestLength, flags: Slot.RequestFlags } as const
export const ResponseSlots = { length: Slot.ResponseLength, flags: Slot.ResponseFlags } as const
export type PayloadSlots = typeof RequestSlots | typeof ResponseSlots

export const Phase = { Idle: 0, Request: 1, Claimed: 2, Running: 3, Responding: 4, Response: 5 } as const
export const WorkerIdle = { Awake: 0, Parked: 1 } as const
export const Life = { Booting: 0, Ready: 1, Dead: 2 } as const

/** Flags of a payload, and the kinds of a response. */
export const Flag = {
  /** The payload is a message on the control port, not in the data region. */
  ViaPort: 1,
  /**
   * Request only: the caller blocks on the answer (`runSync`), so the worker watches it
   * being read (`Slot.AnswerRead`, `WaitPolicy.workerPickupMicros`) or, if the caller does
   * not spin (no `Flag.Spinning`), parks right after answering.
   */
  Blocking: 8,
  /**
   * Request only, with `Blocking`: the caller spins for the answer, so it reads it at once
   * if it runs. Without it the caller parks at once, and the worker does too after
   * answering (see `shared/wait-policy.ts`).
   */
  Spinning: 16,
  /** Response kinds. */
  Ok: 0,
  Threw: 2,
  ModuleError: 4,
} as const

/** The reverse channel's header: one cache line. */
export const REVERSE_HEADER_BYTES = 64

/**
 * Int32 indices into the reverse channel's header: `State` holds `stateOf(seq,
 * ReversePhase)` of the call back in flight; `Length` the end offset of the payload
 * (request or response) in the data region; `Flags` the `ReverseFlag` of the response;
 * `Blocking` is 1 while the worker is blocked in `fromThread.runSync` on this request.
 */
export const ReverseSlot = { State: 0, Length: 1, Flags: 2, Blocking: 3 } as const

export const ReversePhase = { Idle: 0, Request: 1, Serving: 2, Response: 3 } as const
export const ReverseFlag = { Ok: 0, Threw: 1 } as const

/** Default largest payload carried in shared memory; larger ones use the port. */
export const DEFAULT_MAX_INLINE_BYTES = 16 * 1024 * 1024

/** How long a reader waits for a port payload that a published state already announced. */
export const PORT_PATIENCE_MILLIS = 5_000

/** What a request carries, in order. */
export type Request = [moduleId: number, url: string | undefined, name: string, ...args: unknown[]]

/** The payload of a `Flag.ModuleError` response. */
export interface ModuleErrorDetail {
  readonly message: string
  readonly cause?: unknown
}

/**
 * Values carried inside a port message: encoded by the codec into a small shared buffer
 * (so errors keep their class and own properties, as on the channel), or, for what the
 * codec cannot carry (transfer lists, platform objects), as structured-clone values, with
 * the positions and ids of the host callbacks among them (`liftCallbacks` in
 * `codec/callback.ts`: structured clone cannot carry them).
 */
export type Packed = { readonly bytes: SharedArrayBuffer; readonly end: number } | { readonly values: unknown[]; readonly callbacks?: number[] }

/** Messages on the control port. Numbers are cheap doorbells. */
export const DOORBELL = 0
export type PortMessage =
  | typeof DOORBELL
  /** The payload of call `seq`, too large or too exotic for the data region (`callbacks`: see `Packed`). */
  | { readonly t: 'payload'; readonly seq: number; readonly values: unknown[]; readonly callbacks?: number[] }
  /** The host gave up on call `seq` (minus a portal task's id). */
  | { readonly t: 'cancel'; readonly seq: number; readonly reason: 'timeout' | 'abort' }
  /**
   * The worker's uncaught error, sent by its death hook; `booting` when the thread died
   * before it served (a preload or the entry failed: it never started).
   */
  | { readonly t: 'crash'; readonly error: unknown; readonly booting?: true }
  /** A portal task (`startTaskSoon`): its request, as `Request` values. */
  | { readonly t: 'task'; readonly id: number; readonly packed: Packed }
  /** The answer of portal task `id`: a `Flag` kind and its value. */
  | { readonly t: 'done'; readonly id: number; readonly kind: number; readonly packed: Packed }
