/**
 * The worker side of the channel: claims requests, runs the export on this thread's own
 * event loop, writes the answer back. Runtime-neutral; each adapter's worker entry calls
 * `serve()` with its boot data and a `WorkerRuntime`.
 *
 * Idle policy: after answering, the worker polls for the next request for
 * `workerSpinMicros` (sync callers tend to call again at once), then marks itself parked
 * and returns to its event loop, where timers and I/O keep running; the host rings the
 * port's doorbell when it posts a request to a parked worker. It parks early when a host
 * blocked on the answer is not running: at once after answering a host that parks at once
 * (`Flag.Spinning` unset), and after `workerPickupMicros` when a host spinning for the
 * answer leaves it unread, most likely waiting for the core this thread would keep
 * spinning on (see `shared/wait-policy.ts`). The parked flag and the request are checked
 * in opposite orders on the two sides (Dekker), so no request is ever missed and a
 * doorbell is only sent when needed.
 */
import type { BootData, WorkerRuntime } from '../shared/backend.ts'
import { errorMessage, plainError, portable } from '../shared/errors.ts'
import { CallbackRef, carryable, setProxyProbe } from '../wire/codec/index.ts'
import { now } from '../shared/wait-policy.ts'
import { Channel } from '../wire/channel.ts'
import { Inbox, postValues, unpackValues } from '../wire/port.ts'
import { DOORBELL, Flag, RequestSlots, ResponseSlots, WorkerIdle } from '../wire/protocol.ts'
import type { ModuleErrorDetail, Packed, PortMessage, Request } from '../wire/protocol.ts'
import { HeapReport } from '../wire/heap-report.ts'
import { ReverseClient } from './reverse-client.ts'
import { CALLBACK_ID, cancelReason, installTracker, isTransfer } from './state.ts'
import type { CallTracker } from './state.ts'

type Module = Record<string, unknown>
/** A module namespace in a box: a namespace that exports `then` is a thenable, and must never be resolved with. */
type Boxed = { readonly module: Module }

/**
 * Imports `url` without ever resolving a Promise with its namespace. A module that exports
 * `then` makes its namespace a thenable, so `await import(url)` would call that export (and
 * hang, or get what it returns); a one-line wrapper module hands the namespace over in a box.
 * The wrapper is a base64 `data:` URL, the one form Node, Deno and Bun all import.
 */
function importBoxed(url: string): Promise<Boxed> {
  const source = `import * as module from ${JSON.stringify(url)}; export const box = { module }`
  return import(`data:text/javascript;base64,${btoa(source)}`).then((wrapper: { box: Boxed }) => wrapper.box)
}

const RETURN_LABEL = (): string => 'The return value'

/** Serves calls on this thread until it is terminated. */
export function serve(boot: BootData, runtime: WorkerRuntime): void {
  new Server(boot, runtime).start()
}

class Server {
  private readonly channel: Channel
  private readonly port: MessagePort
  private readonly inbox: Inbox
  private readonly modules = new Map<number, Module>()
  private readonly loading = new Map<number, Promise<Boxed>>()
  private readonly spinMillis: number
  /** How long a spinning host may leave an answer unread before polling stops (ms). */
  private readonly pickupMillis: number
  /** The call whose caller blocks on its answer (`Flag.Blocking`), if the current one. */
  private blockingSeq = 0
  /** Whether that caller spins for the answer (`Flag.Spinning`). */
  private blockingSpins = false
  /** The last answer went to a host that parks at once: park too, instead of polling. */
  private parkAfterAnswer = false
  /** The answer whose reading the pump still watches (0: none), and until when. */
  private unread = 0
  private unreadUntil = 0
  private readonly maxInlineBytes: number
  private readonly calls: CallTracker
  private readonly reasons = new Map<number, unknown>()
  /** Calls claimed and not yet answered (or dropped). */
  private readonly active = new Set<number>()
  /** Where the heap in use is reported before each answer (`maxWorkerMemoryMB`), if asked. */
  private readonly heap: HeapReport | undefined
  private readonly heapUsed: (() => number) | undefined

  constructor(boot: BootData, runtime: WorkerRuntime) {
    setProxyProbe(runtime.isProxy)
    this.channel = new Channel(boot.buffer)
    this.port = boot.port
    this.spinMillis = boot.wait.workerSpinMicros / 1000
    this.pickupMillis = boot.wait.workerPickupMicros / 1000
    this.maxInlineBytes = boot.maxInlineBytes
    this.heap = boot.memory === undefined ? undefined : new HeapReport(boot.memory)
    this.heapUsed = runtime.heapUsed
    this.inbox = new Inbox(this.port, runtime.receiveMessageSync, (message) => this.onControl(message))
    const channel = this.channel
    const reasons = this.reasons
    const doorbell = boot.reverseDoorbell
    const reverse = new ReverseClient(boot.reverse, boot.maxInlineBytes, () => {
      // A host blocked in runSync on us serves inline; one on its event loop needs the
      // doorbell. (If the host unblocks just after this check, it sees the request pending
      // as it leaves and serves it then.)
      if (channel.hostIsBlocked) channel.wakeHost()
      else doorbell.postMessage(0)
    })
    this.calls = {
      activeSeq: 0,
      reverse,
      controllers: new Map(),
      workerData: boot.workerData,
      isCancelled: (seq) => reasons.has(seq) || channel.cancelledSeq === seq,
      reasonFor: (seq) => reasons.get(seq) ?? cancelReason('timeout'),
    }
    installTracker(this.calls)
    runtime.onDeath((error, exitCode) => this.onDeath(error, exitCode))
  }

  start(): void {
    this.port.onmessage = (event: MessageEvent) => {
      const message = event.data as PortMessage
      // A doorbell for a request an earlier poll already took is stale: polling now would
      // only hold up this loop (and, say, the module that request is loading).
      if (message === DOORBELL) {
        if (this.channel.requestPending) this.pump()
      } else this.inbox.accept(message)
    }
    this.channel.markReady()
    this.pump()
  }

  /**
   * Polls for requests and runs them; returns (parked) when none came within the spin
   * budget or a call went asynchronous and needs the event loop.
   */
  private readonly pump = (): void => {
    const channel = this.channel
    for (;;) {
      channel.setIdle(WorkerIdle.Awake)
      let deadline = now() + this.spinMillis
      let polls = 0
      for (;;) {
        if (this.parkAfterAnswer) {
          this.parkAfterAnswer = false
          break
        }
        const seq = channel.claimRequest()
        if (seq !== 0) {
          this.unread = 0 // a new call: the host read the last answer
          if (!this.handle(seq)) break // went async: give the loop back
          deadline = now() + this.spinMillis
          continue
        }
        if ((++polls & 31) === 0) {
          const time = now()
          if (time >= deadline) break
          if (this.unread !== 0 && time >= this.unreadUntil) {
            if (!channel.answerRead(this.unread)) break
            this.unread = 0
          }
        }
      }
      channel.setIdle(WorkerIdle.Parked)
      // A request published before the host saw the parked flag gets no doorbell: look again.
      if (!channel.requestPending) return
    }
  }

  /** Runs claimed call `seq`. Returns true if it settled synchronously. */
  private handle(seq: number): boolean {
    const channel = this.channel
    channel.callStarted()
    const wait = channel.requestWait // read before Running frees the slots
    this.blockingSeq = (wait & Flag.Blocking) !== 0 ? seq : 0
    this.blockingSpins = (wait & Flag.Spinning) !== 0
    this.active.add(seq)
    this.inbox.forgetBefore(seq) // payloads of requests abandoned before they were claimed
    let request: unknown[] | undefined
    try {
      request = channel.readPayload(RequestSlots, seq, this.inbox)
    } catch (error) {
      channel.markRunning(seq)
      this.respond(seq, Flag.Threw, error)
      return true
    }
    // Running: the data region is free again, and the host may abandon the call.
    channel.markRunning(seq)
    if (request === undefined) {
      this.inbox.whenPayload(seq, (values) => {
        if (this.run(seq, values as Request)) this.pump()
      })
      return false
    }
    return this.run(seq, request as Request)
  }

  /**
   * Resolves the module and calls the export. Returns true if it settled synchronously.
   * `key` names the call: a channel call's seq (> 0), or minus a portal task's id.
   */
  private run(key: number, request: Request): boolean {
    const [moduleId, url, name] = request
    const args = request.slice(3)
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]
      if (CallbackRef.is(arg)) args[i] = this.callbackProxy(CallbackRef.idOf(arg))
    }
    const module = this.modules.get(moduleId)
    if (module !== undefined) return this.invoke(key, module, name, args)
    // Loading is start-up, not the call's time: the host stops the call's clock meanwhile.
    if (key > 0) this.channel.setLoading(key)
    const loaded = (): void => {
      if (key > 0) this.channel.setLoading(0)
    }
    this.load(moduleId, url).then(
      ({ module }) => {
        loaded()
        if (this.invoke(key, module, name, args) && key > 0) this.pump()
      },
      (cause: unknown) => {
        loaded()
        this.answer(key, Flag.ModuleError, { message: `Cannot load worker module ${url}: ${errorMessage(cause)}`, cause: portable(cause) }, false)
      },
    )
    return false
  }

  private load(moduleId: number, url: string | undefined): Promise<Boxed> {
    let pending = this.loading.get(moduleId)
    if (pending === undefined) {
      if (url === undefined) return Promise.reject(new Error(`module #${moduleId} was never announced`))
      pending = importBoxed(url).then((boxed) => {
        this.modules.set(moduleId, boxed.module)
        return boxed
      })
      // A failed load is retried by the next call (the file may have been fixed).
      pending.catch(() => this.loading.delete(moduleId))
      this.loading.set(moduleId, pending)
    }
    return pending
  }

  /** A function argument of the host, as a function here: calling it returns a Promise. */
  private callbackProxy(id: number): (...args: unknown[]) => Promise<unknown> {
    const reverse = this.calls.reverse
    const proxy = (...args: unknown[]): Promise<unknown> => reverse.call(id, args)
    Object.defineProperty(proxy, CALLBACK_ID, { value: id })
    return proxy
  }

  /** Calls the export. Returns true if the call settled synchronously. */
  private invoke(key: number, module: Module, name: string, args: unknown[]): boolean {
    const fn = module[name]
    if (typeof fn !== 'function') {
      const exported = Object.keys(module).filter((key) => typeof module[key] === 'function')
      const message =
        name in module
          ? `export '${name}' is not a function (it is ${typeof fn})`
          : `no export named '${name}' (callable exports: ${exported.join(', ') || 'none'})`
      this.answer(key, Flag.ModuleError, { message } satisfies ModuleErrorDetail, true)
      return true
    }
    const calls = this.calls
    calls.activeSeq = key
    let result: unknown
    try {
      result = (fn as (...args: unknown[]) => unknown)(...args)
    } catch (error) {
      this.answer(key, Flag.Threw, error, true)
      return true
    }
    let thenable: boolean
    try {
      thenable = result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function'
    } catch (error) {
      this.answer(key, Flag.Threw, error, true) // a `then` getter that throws
      return true
    }
    if (thenable) {
      Promise.resolve(result).then(
        (value) => this.answer(key, Flag.Ok, value, false),
        (error: unknown) => this.answer(key, Flag.Threw, error, false),
      )
      return false
    }
    this.answer(key, Flag.Ok, result, true)
    return true
  }

  /**
   * Answers call `key`: a channel call through the channel (and, if it settled later,
   * back to polling for the next), a portal task through the port.
   */
  private answer(key: number, kind: number, value: unknown, sync: boolean): void {
    if (key < 0) return this.answerTask(-key, kind, value)
    this.respond(key, kind, value)
    if (!sync) this.pump()
  }

  /** Forgets call `key`'s bookkeeping: it is settled. */
  private forget(key: number): void {
    this.active.delete(key)
    this.reasons.delete(key)
    if (this.calls.activeSeq === key) this.calls.activeSeq = 0
    if (this.calls.controllers.size !== 0) this.calls.controllers.delete(key)
  }

  /** Runs portal task `id`, which came through the port; it may run beside other calls. */
  private runTask(id: number, packed: Packed): void {
    let request: unknown[]
    try {
      request = unpackValues(packed)
    } catch (error) {
      return this.answerTask(id, Flag.Threw, error)
    }
    this.run(-id, request as Request)
  }

  /** Posts the answer of portal task `id`, then tells the host one more is on its way. */
  private answerTask(id: number, kind: number, value: unknown): void {
    this.forget(-id)
    let transfer: readonly object[] | undefined
    if (isTransfer(value)) {
      transfer = value.list
      value = value.value
    }
    try {
      postValues(this.port, { t: 'done', id, kind }, [value], this.maxInlineBytes, RETURN_LABEL, transfer)
    } catch (error) {
      // As in respond(): the error that stopped the result, or what can be carried of a thrown one.
      const head = { t: 'done', id, kind: kind === Flag.Ok ? Flag.Threw : kind } as const
      substitutes(kind, value, error, (substitute) => postValues(this.port, head, [substitute], this.maxInlineBytes, RETURN_LABEL))
    }
    this.channel.taskAnswered()
  }

  /** Writes the answer of call `seq`, unless the host has abandoned it. */
  private respond(seq: number, kind: number, value: unknown): void {
    const channel = this.channel
    channel.callSettled(seq)
    this.forget(seq)
    if (this.heap !== undefined) this.reportHeap(this.heap)
    // Awake before answering: the host's next request then needs no doorbell.
    channel.setIdle(WorkerIdle.Awake)
    if (!channel.beginResponse(seq)) return // abandoned by the host: the late answer is dropped here
    // From here on Response must be published whatever the value does (getters, proxies).
    let flags: number
    try {
      let transfer: readonly object[] | undefined
      if (isTransfer(value)) {
        transfer = value.list
        value = value.value
      }
      flags = kind | channel.writePayload(ResponseSlots, seq, [value], this.maxInlineBytes, this.port, RETURN_LABEL, transfer)
    } catch (error) {
      // The answer cannot cross (a function, a getter that throws...): send why instead.
      flags =
        (kind === Flag.Ok ? Flag.Threw : kind) |
        substitutes(kind, value, error, (substitute) => channel.writePayload(ResponseSlots, seq, [substitute], this.maxInlineBytes, this.port, RETURN_LABEL))
    }
    channel.publishResponse(seq, flags)
    // Watched only for a caller blocked on the answer: a pool reads answers on its event
    // loop, when it gets to them, so an unread one says nothing about the cores there.
    if (this.blockingSeq === seq) {
      if (this.blockingSpins) {
        this.unread = seq
        this.unreadUntil = now() + this.pickupMillis
      } else this.parkAfterAnswer = true
    }
  }

  /** Reports the heap in use (unknown where the runtime cannot tell), for the pool to read with the answer. */
  private reportHeap(heap: HeapReport): void {
    let bytes: number | undefined
    try {
      bytes = this.heapUsed?.()
    } catch {
      // a runtime without the probe in this thread: unknown
    }
    heap.store(bytes)
  }

  private onControl(message: PortMessage): void {
    if (typeof message !== 'object' || message === null) return
    if (message.t === 'task') {
      // Active at once, so a cancel that follows it is kept; started afterwards, since a
      // task may be read in the middle of another call's port read.
      this.active.add(-message.id)
      return queueMicrotask(() => this.runTask(message.id, message.packed))
    }
    if (message.t !== 'cancel') return
    if (!this.active.has(message.seq)) return // settled already: nothing to cancel, nothing to keep
    const reason = cancelReason(message.reason)
    this.reasons.set(message.seq, reason)
    this.calls.controllers.get(message.seq)?.abort(reason)
  }

  private onDeath(error: unknown, exitCode: number | undefined): void {
    const channel = this.channel
    if (channel.dead) return
    if (error !== undefined) {
      try {
        this.port.postMessage({ t: 'crash', error: plainError(error) } satisfies PortMessage)
      } catch {
        // The port may already be closed; the exit code still tells the host.
      }
    }
    channel.markDead(exitCode)
  }
}

/**
 * Sends, with `write`, what replaces an answer that could not be sent: for a result, the
 * error that stopped it (a DataCloneError naming the value, or what a getter threw); for a
 * thrown value, what can be carried of it (`carryable`: its class and every part but the
 * ones that cannot cross). Returns what `write` returned.
 */
function substitutes<T>(kind: number, value: unknown, failure: unknown, write: (substitute: unknown) => T): T {
  if (kind === Flag.Ok) {
    try {
      return write(failure)
    } catch {
      // the error itself cannot cross: carry what can be carried of it
    }
  }
  try {
    return write(carryable(kind === Flag.Ok ? failure : value))
  } catch {
    return write(new Error("The worker's answer could not be cloned or even described"))
  }
}
