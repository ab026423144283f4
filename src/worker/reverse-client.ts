/**
 * The worker's end of calls back into the host (`fromThread`): one request at a time on
 * the reverse channel, blocking (`runSync`) or awaited (`run`, queued one by one).
 */
import { DeadlockError, reviveOwnError } from '../shared/errors.ts'
import { now } from '../shared/wait-policy.ts'
import { ReverseChannel } from '../wire/reverse-channel.ts'

/** How long a blocked call back spins before it parks, in milliseconds. */
const SPIN_MILLIS = 0.05

export class ReverseClient {
  private readonly channel: ReverseChannel
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    buffer: SharedArrayBuffer,
    maxInlineBytes: number,
    /** Tells the host a request waits (see `serve.ts`). */
    private readonly wake: () => void,
  ) {
    this.channel = new ReverseChannel(buffer, maxInlineBytes)
  }

  /** Calls a host function and blocks this thread until it answers. */
  callSync(target: string | number, args: unknown[]): unknown {
    if (this.channel.inFlight) {
      throw new DeadlockError(
        'fromThread.runSync() was called while another call to the host from this thread is in flight; await that call (fromThread.run) before making another',
      )
    }
    const seq = this.post(target, args, true)
    this.channel.waitAnswer(seq, SPIN_MILLIS, now)
    return this.read(seq)
  }

  /** Calls a host function; resolves with its (awaited) result. Calls queue one by one. */
  call(target: string | number, args: unknown[]): Promise<unknown> {
    const result = this.queue.then(() => this.callAsync(target, args))
    this.queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  private async callAsync(target: string | number, args: unknown[]): Promise<unknown> {
    const seq = this.post(target, args, false)
    await this.channel.answerAsync(seq)
    return this.read(seq)
  }

  private post(target: string | number, args: unknown[], blocking: boolean): number {
    const seq = this.channel.post(target, args, blocking)
    this.wake()
    return seq
  }

  private read(seq: number): unknown {
    const { value, threw } = this.channel.read(seq)
    if (threw) throw reviveOwnError(value)
    return value
  }
}
