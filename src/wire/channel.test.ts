/**
 * Unit tests of the call channel's state machine (`channel.ts`), in one thread: two channel
 * objects over one buffer, one playing the host, one the worker, driven step by step. Only
 * public methods: the layout of the header is the channel's own business.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Channel, createChannelBuffer } from './channel.ts'
import { Inbox } from './port.ts'
import type { PortMessage } from './protocol.ts'
import { Flag, Phase, RequestSlots, ResponseSlots, WorkerIdle, nextSeq } from './protocol.ts'

const MAX_INLINE = 1 << 20
const MAX_SEQ = 0x0fffffff

/** A host's and a worker's view of one fresh call channel. */
function pair(): { host: Channel; worker: Channel } {
  const buffer = createChannelBuffer(MAX_INLINE)
  return { host: new Channel(buffer), worker: new Channel(buffer) }
}

/** Drives call `seq` as far as `phase`, both sides playing their part. */
function driveTo(host: Channel, worker: Channel, seq: number, phase: number): void {
  host.publishRequest(seq, 0)
  if (phase === Phase.Request) return
  expect(worker.claimRequest()).toBe(seq)
  if (phase === Phase.Claimed) return
  worker.markRunning(seq)
  if (phase === Phase.Running) return
  expect(worker.beginResponse(seq)).toBe(true)
  if (phase === Phase.Responding) return
  worker.publishResponse(seq, Flag.Ok)
}

/** Whether `promise` settles within `millis`: true as soon as it does, false at the end. */
async function settlesWithin(promise: Promise<unknown> | undefined, millis: number): Promise<boolean> {
  if (promise === undefined) return true
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), millis)))
  try {
    return await Promise.race([promise.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}

const ports: MessagePort[] = []
afterEach(() => {
  for (const port of ports.splice(0)) port.close()
})

/** Two entangled ports, closed after the test. */
function messageChannel(): MessageChannel {
  const channel = new MessageChannel()
  ports.push(channel.port1, channel.port2)
  return channel
}

const label = (index: number): string => `argument ${index}`

describe('Channel: one call, step by step', () => {
  it('publishRequest rings the doorbell only while the worker is parked', () => {
    const { host, worker } = pair()
    expect(host.publishRequest(1, 0)).toBe(true) // a fresh channel's worker is parked
    expect(worker.claimRequest()).toBe(1)
    worker.setIdle(WorkerIdle.Awake)
    expect(host.publishRequest(2, 0)).toBe(false)
    expect(worker.claimRequest()).toBe(2)
    worker.setIdle(WorkerIdle.Parked)
    expect(host.publishRequest(3, 0)).toBe(true)
  })

  it('a request is claimed once', () => {
    const { host, worker } = pair()
    expect(worker.claimRequest()).toBe(0) // nothing published
    expect(worker.requestPending).toBe(false)
    host.publishRequest(1, 0)
    expect(worker.requestPending).toBe(true)
    const other = new Channel(worker.buffer) // a second claimer over the same buffer
    expect(worker.claimRequest()).toBe(1)
    expect(worker.claimRequest()).toBe(0)
    expect(other.claimRequest()).toBe(0)
    expect(worker.requestPending).toBe(false)
  })

  it('runs a call: claim, run, answer; answered(seq) and the event count follow', () => {
    const { host, worker } = pair()
    host.publishRequest(1, 0)
    expect(host.answered(1)).toBe(false)
    expect(worker.claimRequest()).toBe(1)
    worker.callStarted()
    expect(host.busy).toBe(1)
    // Only a running call may be answered.
    expect(worker.beginResponse(1)).toBe(false)
    worker.markRunning(1)
    expect(host.answered(1)).toBe(false)
    expect(worker.beginResponse(2)).toBe(false) // not the running call
    expect(worker.beginResponse(1)).toBe(true)
    expect(worker.beginResponse(1)).toBe(false) // once
    expect(host.answered(1)).toBe(false)
    const wake = host.wakeCount
    worker.publishResponse(1, Flag.Threw)
    expect(host.answered(1)).toBe(true)
    expect(host.answered(2)).toBe(false)
    expect(host.responseFlags).toBe(Flag.Threw)
    expect(host.wakeCount).toBe(wake + 1)
    worker.callSettled(1)
    expect(host.busy).toBe(0)
  })

  it('takeBack before the worker claims the call: before-run, and the claim then fails', () => {
    const { host, worker } = pair()
    driveTo(host, worker, 1, Phase.Request)
    expect(host.takeBack(1)).toBe('before-run')
    expect(worker.requestPending).toBe(false)
    expect(worker.claimRequest()).toBe(0)
    expect(worker.cancelledSeq).toBe(0) // it never ran: nothing to cancel
    expect(host.answered(1)).toBe(false)
  })

  it('withdrawRequest takes back only a request nobody claimed; requestWaiting says which', () => {
    const { host, worker } = pair()
    host.publishRequest(1, 0)
    expect(host.requestWaiting(1)).toBe(true)
    expect(host.withdrawRequest(1)).toBe(true)
    expect(host.requestWaiting(1)).toBe(false)
    expect(worker.claimRequest()).toBe(0) // gone: the worker never sees it
    host.publishRequest(2, 0)
    expect(worker.claimRequest()).toBe(2)
    expect(host.requestWaiting(2)).toBe(false)
    expect(host.withdrawRequest(2)).toBe(false) // claimed: it is the worker's now
    worker.markRunning(2)
    expect(host.withdrawRequest(2)).toBe(false) // and a running call is never withdrawn
    expect(worker.beginResponse(2)).toBe(true)
  })

  it('takeBack while the call runs: while-running, marked cancelled, and the late answer is dropped', () => {
    const { host, worker } = pair()
    driveTo(host, worker, 1, Phase.Running)
    worker.callStarted()
    expect(host.takeBack(1)).toBe('while-running')
    expect(worker.cancelledSeq).toBe(1)
    expect(worker.beginResponse(1)).toBe(false) // the worker drops its answer here
    expect(host.answered(1)).toBe(false)
    // A later request leaves the cancellation alone: call 1 may still run (sync code that
    // polls checkCancelled() must keep seeing it) ...
    host.publishRequest(2, 0)
    expect(worker.cancelledSeq).toBe(1)
    // ... until call 1 settles, so a seq reused after wrap-around is not born cancelled.
    worker.callSettled(1)
    expect(host.busy).toBe(0)
    expect(worker.cancelledSeq).toBe(0)
  })

  it('takeBack while the worker copies a payload (Claimed, Responding): copying, until it is done', () => {
    const { host, worker } = pair()
    driveTo(host, worker, 1, Phase.Claimed)
    expect(host.takeBack(1)).toBe('copying')
    expect(host.takeBack(1)).toBe('copying') // nothing changed: still the worker's
    worker.markRunning(1)
    expect(host.takeBack(1)).toBe('while-running')

    driveTo(host, worker, 2, Phase.Responding)
    expect(host.takeBack(2)).toBe('copying')
    worker.publishResponse(2, Flag.Ok)
    expect(host.takeBack(2)).toBe('answered')
  })

  it('takeBack after the answer: answered, and the answer stays readable', () => {
    const { host, worker } = pair()
    driveTo(host, worker, 1, Phase.Response)
    expect(host.takeBack(1)).toBe('answered')
    expect(host.answered(1)).toBe(true)
    expect(worker.cancelledSeq).toBe(0)
  })

  it('a stale seq never matches a newer call', () => {
    const { host, worker } = pair()
    driveTo(host, worker, 1, Phase.Running)
    expect(host.takeBack(1)).toBe('while-running')
    // The next call goes out while call 1 is still running on the worker.
    host.publishRequest(2, 0)
    expect(worker.beginResponse(1)).toBe(false) // call 1's late answer cannot take call 2's place
    expect(worker.claimRequest()).toBe(2)
    worker.markRunning(2)
    expect(worker.beginResponse(1)).toBe(false)
    expect(worker.beginResponse(2)).toBe(true)
    worker.publishResponse(2, Flag.Ok)
    expect(host.answered(2)).toBe(true)
    expect(host.answered(1)).toBe(false)
  })

  it('seqs wrap around without ever naming call 0, and the largest seq works end to end', () => {
    const { host, worker } = pair()
    driveTo(host, worker, MAX_SEQ, Phase.Response)
    expect(host.answered(MAX_SEQ)).toBe(true)
    const seq = nextSeq(MAX_SEQ)
    expect(seq).toBe(1)
    host.publishRequest(seq, 0)
    expect(host.answered(MAX_SEQ)).toBe(false)
    expect(worker.claimRequest()).toBe(1)
    worker.markRunning(1)
    expect(worker.beginResponse(MAX_SEQ)).toBe(false)
    expect(worker.beginResponse(1)).toBe(true)
    worker.publishResponse(1, Flag.Ok)
    expect(host.answered(1)).toBe(true)
  })

  it('portal task answers are counted and wake the host', () => {
    const { host, worker } = pair()
    expect(host.taskAnswersSent).toBe(0)
    const wake = host.wakeCount
    worker.taskAnswered()
    worker.taskAnswered()
    expect(host.taskAnswersSent).toBe(2)
    expect(host.wakeCount).toBe(wake + 2)
  })
})

describe('Channel: start-up and life', () => {
  it('a call waits on start-up while the thread boots, then while its own module loads', () => {
    const { host, worker } = pair()
    expect(host.booting).toBe(true)
    expect(host.dead).toBe(false)
    expect(host.starting(1)).toBe(true) // booting: every call waits on start-up
    let wake = host.wakeCount
    worker.markReady()
    expect(host.booting).toBe(false)
    expect(host.wakeCount).toBe(wake + 1)
    expect(host.starting(1)).toBe(false)

    worker.setLoading(1)
    expect(host.starting(1)).toBe(true)
    expect(host.starting(2)).toBe(false) // another call's clock runs on
    wake = host.wakeCount
    worker.setLoading(0)
    expect(host.starting(1)).toBe(false)
    expect(host.wakeCount).toBe(wake + 1) // the end of loading wakes the host
    worker.setLoading(0)
    expect(host.wakeCount).toBe(wake + 1) // but only an end that ended something
  })

  it('markDead records the exit once and wakes every waiter', () => {
    const { host, worker } = pair()
    worker.markReady()
    expect(host.exitCode).toBeUndefined()
    const wake = host.wakeCount
    expect(worker.markDead(3)).toBe(true)
    expect(host.dead).toBe(true)
    expect(host.booting).toBe(false)
    expect(host.exitCode).toBe(3)
    expect(host.wakeCount).toBe(wake + 1)
    expect(worker.markDead(7)).toBe(false)
    expect(host.exitCode).toBe(3)
    expect(host.wakeCount).toBe(wake + 1)
  })

  it('markDead without an exit code, even while booting', () => {
    const { host, worker } = pair()
    expect(worker.markDead(undefined)).toBe(true)
    expect(host.dead).toBe(true)
    expect(host.exitCode).toBeUndefined()
  })

  it('wakeAll bumps the event count and releases waiters on it and on the busy count', async () => {
    const { host } = pair()
    const wake = host.wakeCount
    const onWake = host.wakeAsync(wake)
    const onBusy = host.busyAsync(0, 5_000)
    expect(onWake).toBeDefined()
    expect(onBusy).toBeDefined()
    host.wakeAll()
    expect(host.wakeCount).toBe(wake + 1)
    expect(await onWake).toBe('ok')
    expect(await onBusy).toBe('ok')
    expect(host.wakeAsync(wake)).toBeUndefined() // the count already moved past `wake`
  })
})

describe('Channel: waiting and notifying', () => {
  it('callStarted / callSettled count unsettled calls', () => {
    const { host, worker } = pair()
    expect(host.busy).toBe(0)
    worker.callStarted()
    worker.callStarted()
    expect(host.busy).toBe(2)
    worker.callSettled(1)
    expect(host.busy).toBe(1)
    worker.callSettled(2)
    expect(host.busy).toBe(0)
  })

  it('hostBlocked is a count: nested blocking waits keep the host blocked until the outer ends', () => {
    const { host, worker } = pair()
    expect(worker.hostIsBlocked).toBe(false)
    host.hostBlocked(true)
    expect(worker.hostIsBlocked).toBe(true)
    host.hostBlocked(true)
    host.hostBlocked(false)
    expect(worker.hostIsBlocked).toBe(true)
    host.hostBlocked(false)
    expect(worker.hostIsBlocked).toBe(false)
  })

  it('the worker notifies an event only while a waiter holds notification, and holds count', async () => {
    const { host, worker } = pair()
    // No holder: the event is counted but nobody is notified.
    let waiting = host.wakeAsync(host.wakeCount)
    worker.wakeHost()
    expect(await settlesWithin(waiting, 30)).toBe(false)
    host.wakeAll() // releases the stranded waiter
    expect(await settlesWithin(waiting, 2_000)).toBe(true)

    host.holdNotify(true)
    host.holdNotify(true)
    waiting = host.wakeAsync(host.wakeCount)
    worker.wakeHost()
    expect(await settlesWithin(waiting, 2_000)).toBe(true)
    host.holdNotify(false) // one holder left
    waiting = host.wakeAsync(host.wakeCount)
    worker.taskAnswered()
    expect(await settlesWithin(waiting, 2_000)).toBe(true)
    host.holdNotify(false) // none left
    waiting = host.wakeAsync(host.wakeCount)
    worker.wakeHost()
    expect(await settlesWithin(waiting, 30)).toBe(false)
    host.wakeAll()
    expect(await settlesWithin(waiting, 2_000)).toBe(true)
  })

  it('callSettled notifies a busy-count watcher only while notification is held', async () => {
    const { host, worker } = pair()
    worker.callStarted()
    expect(await host.busyAsync(1, 20)).toBe('timed-out') // nothing settled
    const unheld = host.busyAsync(1, 40)
    worker.callSettled(1)
    expect(await unheld).toBe('timed-out') // settled, but no one asked to be told

    worker.callStarted()
    host.holdNotify(true)
    const held = host.busyAsync(1, 5_000)
    worker.callSettled(2)
    expect(await held).toBe('ok')
    host.holdNotify(false)
    expect(host.busyAsync(1, 5_000)).toBeUndefined() // the count is no longer 1
  })

  it('parkOnWake returns at once when the count already moved, else after its time', () => {
    const { host, worker } = pair()
    const wake = host.wakeCount
    worker.wakeHost()
    let started = performance.now()
    host.parkOnWake(wake, 5_000)
    expect(performance.now() - started).toBeLessThan(1_000)
    started = performance.now()
    host.parkOnWake(host.wakeCount, 5)
    expect(performance.now() - started).toBeGreaterThanOrEqual(4)
  })

  it('napOnState sleeps at most its time', () => {
    const { host } = pair()
    const started = performance.now()
    host.napOnState(5)
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(4)
    expect(took).toBeLessThan(1_000)
  })
})

describe('Channel: payloads', () => {
  const values = [42, 'fn', { a: [1, 2n, null], b: new Map([['k', new Date(0)]]) }, new Uint8Array([1, 2, 3]), undefined, new RangeError('no')]

  it('a request and a response round-trip inline through the data region', () => {
    const { host, worker } = pair()
    const { port1, port2 } = messageChannel()
    const inbox = new Inbox(
      port2,
      () => undefined,
      () => {},
    )

    const requestFlags = host.writePayload(RequestSlots, 1, values, MAX_INLINE, port1, label)
    expect(requestFlags).toBe(0) // inline: not via the port
    host.publishRequest(1, requestFlags)
    expect(worker.claimRequest()).toBe(1)
    const request = worker.readPayload(RequestSlots, 1, inbox)
    expect(request).toEqual(values)
    expect((request![5] as Error).constructor).toBe(RangeError)
    worker.markRunning(1)

    expect(worker.beginResponse(1)).toBe(true)
    const responseFlags = worker.writePayload(ResponseSlots, 1, ['done', [3]], MAX_INLINE, port2, label)
    expect(responseFlags).toBe(0)
    worker.publishResponse(1, Flag.Ok | responseFlags)
    expect(host.answered(1)).toBe(true)
    expect(host.readPayload(ResponseSlots, 1, inbox)).toEqual(['done', [3]])
  })

  it('a payload with a transfer list travels through the port, and the flags say so', async () => {
    const { host, worker } = pair()
    const { port1, port2 } = messageChannel()
    const others: PortMessage[] = []
    const inbox = new Inbox(
      port2,
      () => undefined,
      (message) => others.push(message),
    )
    const arrived = new Promise<void>((resolve) => {
      port2.onmessage = (event: MessageEvent) => {
        inbox.accept(event.data as PortMessage)
        resolve()
      }
    })
    const bytes = new Uint8Array([9, 8, 7]).buffer
    const flags = host.writePayload(RequestSlots, 4, ['x', bytes], MAX_INLINE, port1, label, [bytes])
    expect(flags).toBe(Flag.ViaPort)
    expect(bytes.byteLength).toBe(0) // transferred
    host.publishRequest(4, flags)
    expect(worker.claimRequest()).toBe(4)
    await arrived
    const request = worker.readPayload(RequestSlots, 4, inbox)
    expect(request?.[0]).toBe('x')
    expect([...new Uint8Array(request?.[1] as ArrayBuffer)]).toEqual([9, 8, 7])
    expect(others).toEqual([])
  })

  it('a value that cannot be cloned throws a DataCloneError naming its position', () => {
    const { host } = pair()
    const { port1 } = messageChannel()
    expect(() => host.writePayload(RequestSlots, 1, [1, () => 2], MAX_INLINE, port1, label)).toThrow(/argument 1/)
    try {
      host.writePayload(RequestSlots, 1, [() => 2], MAX_INLINE, port1, label)
    } catch (error) {
      expect((error as Error).name).toBe('DataCloneError')
    }
  })
})
