/**
 * How the host waits on a worker: the one owner of the wait policy. Every blocking wait
 * (`block`) and every event-loop wait (`onEvents`, `drained`) is here; callers say what
 * they wait for, not how.
 *
 * Handing a call over through the kernel costs 20–40 µs per round trip on a small machine,
 * while a call into a warm worker takes about 1 µs. So a blocking wait spins on the channel for a short,
 * bounded, adaptive time (`AdaptiveSpin`, in `adaptive-spin.ts`), then parks on the
 * event count in slices: between slices it checks the deadline and whether the worker is
 * still alive.
 */
import type { WaitPolicy } from '../shared/wait-policy.ts'
import { now } from '../shared/wait-policy.ts'
import type { AdaptiveSpin } from './adaptive-spin.ts'
import type { WorkerSlot } from './worker-slot.ts'

/** How a blocking wait ended: `startup` means a module took longer than `startupTimeout` to load. */
export type BlockOutcome = 'done' | 'timeout' | 'startup' | 'dead'

/**
 * Blocks this thread until `done()` holds, the deadline passes, or `worker` dies, and
 * serves the worker's calls back into the host meanwhile. With `spin`, the first spin lasts
 * the budget it planned (before the request was posted), and it learns from the outcome
 * (for calls, whose answers are often microseconds away).
 */
export function block(worker: WorkerSlot, done: () => boolean, deadline: Deadline, policy: WaitPolicy, spin?: AdaptiveSpin): BlockOutcome {
  if (done()) return 'done'
  const channel = worker.channel
  channel.hostBlocked(true) // a count: a wait may nest in a host function
  try {
    return blockUntil(worker, done, deadline, policy, spin)
  } finally {
    channel.hostBlocked(false)
    // A call back into the host that raced our unblocking rang no doorbell: serve it now.
    if (worker.reverse.pending) worker.reverse.serve()
  }
}

function blockUntil(worker: WorkerSlot, done: () => boolean, deadline: Deadline, policy: WaitPolicy, spin: AdaptiveSpin | undefined): BlockOutcome {
  const { channel, reverse } = worker
  let budget = spin === undefined ? policy.spinMicros / 1000 : spin.budgetMillis
  let first = spin !== undefined
  for (;;) {
    // Spin: a warm worker answers in about a microsecond. Calls back into the host are
    // served as they come, and each restarts the spin, since more tend to follow.
    let spinEnd = now() + budget
    let answered = false
    for (let polls = 1; ; polls++) {
      if (done()) {
        answered = true
        break
      }
      if ((polls & 31) === 0) {
        if (reverse.pending) {
          reverse.serveBlocked()
          spinEnd = now() + budget
        } else if (now() >= spinEnd) break
      }
    }
    if (first) {
      spin!.record(answered, worker.wokeWorker)
      first = false
    }
    if (answered) return 'done'
    budget = policy.spinMicros / 1000 // after a call back, spin fully
    // Park for a slice; between slices check the deadline and the worker's life. The event
    // count is read before the checks, so an event after them ends the wait at once.
    const wake = channel.wakeCount
    if (done()) return 'done'
    if (reverse.pending) {
      reverse.serveBlocked()
      continue
    }
    if (worker.gone) return done() ? 'done' : 'dead'
    const time = now()
    const verdict = deadline.check(time)
    // A thread that never finished booting failed to start; a module that never loaded timed out.
    if (verdict === 'startup') return worker.booting ? 'dead' : 'startup'
    if (verdict === 'timeout') return 'timeout'
    // A task answer announced but still moving through the port: look again soon.
    const slice = worker.taskAnswerInTransit ? 1 : policy.parkSliceMillis
    channel.parkOnWake(wake, Math.max(0, Math.min(slice, deadline.remaining(time))))
    budget = policy.minSpinMicros / 1000
  }
}

/**
 * Calls `step` now and after every event on `worker`'s channel (an answer, a death, a call
 * back, the end of start-up) until it returns true. Never blocks: it waits with
 * `Atomics.waitAsync`, so the caller must keep the process alive while it matters, and the
 * worker must notify (`Channel.holdNotify`).
 */
export function onEvents(worker: WorkerSlot, step: () => boolean): void {
  const channel = worker.channel
  for (;;) {
    // Read the event count before the step, or an event landing in between is missed.
    const wake = channel.wakeCount
    if (step()) return
    const next = channel.wakeAsync(wake)
    if (next !== undefined) {
      next.then(() => onEvents(worker, step))
      return
    }
  }
}

/**
 * Resolves with true once every call `worker` claimed has settled, with false if the
 * worker died or `deadline` (a `now()` time) passed first. Never blocks.
 */
export function drained(worker: WorkerSlot, deadline: number): Promise<boolean> {
  const channel = worker.channel
  return new Promise((resolve) => {
    const check = (): void => {
      const busy = channel.busy
      if (busy === 0 || worker.dead || now() >= deadline) return resolve(busy === 0 && !worker.dead)
      const next = channel.busyAsync(busy, Math.max(1, deadline - now()))
      if (next === undefined) check()
      else next.then(check)
    }
    check()
  })
}

/** A timer that does not keep the process alive (the backend unrefs it where timers are numbers). */
export function schedule(backend: { unrefTimer?(timer: unknown): void }, fn: () => void, delay: number): unknown {
  const timer = setTimeout(fn, delay)
  if (backend.unrefTimer) backend.unrefTimer(timer)
  else (timer as { unref?: () => void }).unref?.()
  return timer
}

/** What a wait's deadline says at a given time. */
export type DeadlineVerdict = 'running' | 'timeout' | 'startup'

/** When a blocking wait gives up; checked between parks. */
export interface Deadline {
  /** `timeout` once the call's own time ran out, `startup` once start-up did. */
  check(time: number): DeadlineVerdict
  /** Milliseconds until `check` may change its verdict (Infinity if never). */
  remaining(time: number): number
}

/** A deadline at a fixed time (`Infinity` for none). */
export function deadlineAt(at: number): Deadline {
  return {
    check: (time) => (time >= at ? 'timeout' : 'running'),
    remaining: (time) => at - time,
  }
}

/**
 * A call's deadline: `timeout` ms of the call's own time. The clock stops while the worker
 * is starting (booting its thread, or loading the call's module), which is bounded by
 * `startupTimeout` instead; so a cold start on a busy machine does not eat a short call's
 * time, and a module whose top-level await never settles still fails.
 */
export class CallDeadline implements Deadline {
  /** Call time spent before the current run of the clock. */
  private used = 0
  /** When the clock last started, or undefined while the worker is starting. */
  private runningSince: number | undefined
  private startingSince: number | undefined

  constructor(
    private readonly timeout: number,
    private readonly startupTimeout: number,
    /** Whether the worker is starting now (booting, or loading this call's module). */
    private readonly starting: () => boolean,
    time = now(),
  ) {
    if (starting()) this.startingSince = time
    else this.runningSince = time
  }

  check(time: number): DeadlineVerdict {
    if (this.starting()) {
      if (this.runningSince !== undefined) this.used += time - this.runningSince
      this.runningSince = undefined
      this.startingSince ??= time
      return time - this.startingSince >= this.startupTimeout ? 'startup' : 'running'
    }
    this.startingSince = undefined
    this.runningSince ??= time
    return this.used + time - this.runningSince >= this.timeout ? 'timeout' : 'running'
  }

  /** Whether the last `check` found the worker starting (the call's clock stopped). */
  get inStartup(): boolean {
    return this.startingSince !== undefined
  }

  remaining(time: number): number {
    if (this.startingSince !== undefined) return this.startupTimeout - (time - this.startingSince)
    return this.timeout - this.used - (time - (this.runningSince ?? time))
  }
}
