/**
 * `ANYTHREAD_DEBUG=1`: a subscriber of the `anythread:*` channels that writes worker
 * starts, exits, timeouts, cancellations and recycles to stderr; `ANYTHREAD_DEBUG=2` adds
 * every `run()` task (queued, started, finished).
 */
import { EVENT_NAMES } from '../src/shared/events.ts'
import type { EventChannels, EventName } from '../src/shared/events.ts'

/** What the adapters' `node:diagnostics_channel` gives this module. */
export interface Subscribable {
  subscribe(name: string, listener: (message: unknown, name: string | symbol) => void): void
}

/** Whether this realm has a debug subscriber already (one, however many backends are made). */
const subscribedKey = Symbol.for('anythread.debugSubscriber.v1')

/** Subscribes the debug logger when `ANYTHREAD_DEBUG` asks for it (once per realm). */
export function subscribeDebugLogger(readEnv: () => string | undefined, channels: Subscribable): void {
  let value: string | undefined
  try {
    value = readEnv()
  } catch {
    return // no permission to read the environment (Deno without --allow-env)
  }
  if (value === undefined || value === '' || value === '0') return
  const realm = globalThis as { [subscribedKey]?: boolean }
  if (realm[subscribedKey]) return
  realm[subscribedKey] = true
  const tasks = value === '2' || value === 'all'
  for (const name of EVENT_NAMES) {
    if (!tasks && name.startsWith('anythread:task:')) continue
    channels.subscribe(name, (message) => {
      const line = describe(name, message as never)
      if (line !== undefined) console.error(`anythread[${(message as { backend: string }).backend}] ${line}`)
    })
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** One debug line per event (a recycle shows in its exit line). */
function describe<N extends EventName>(name: N, event: EventChannels[N]): string | undefined {
  const e = event as EventChannels[EventName] & Record<string, unknown>
  const worker = `worker #${String(e.worker)}`
  switch (name) {
    case 'anythread:worker:start':
      return `${worker} started (${String(e.kind)})`
    case 'anythread:worker:ready':
      return `${worker} ready after ${Math.round(e.startupMs as number)} ms`
    case 'anythread:worker:exit': {
      const detail = `${e.exitCode === undefined ? '' : ` (code ${String(e.exitCode)})`}${e.error === undefined ? '' : `: ${errorText(e.error)}`}`
      const line = e.stoppedByHost ? `${worker} stopped: ${String(e.reason)}` : `${worker} ${String(e.reason)}${detail}`
      return e.runaway
        ? `${line}; it may keep running: ${String(e.backend)} cannot stop a thread that runs synchronous JavaScript (denoland/deno#35657), it keeps a core until the process ends`
        : line
    }
    case 'anythread:call:timeout':
    case 'anythread:call:cancel':
      return `${String(e.api)}('${String(e.name)}') ${name === 'anythread:call:timeout' ? 'timed out' : 'cancelled'}${e.worker === undefined ? '' : ` on ${worker}`}`
    case 'anythread:task:queued':
      return `task ${String(e.task)} run('${String(e.name)}') queued`
    case 'anythread:task:started':
      return `task ${String(e.task)} started on ${worker} after ${(e.waitMs as number).toFixed(1)} ms`
    case 'anythread:task:finished':
      return `task ${String(e.task)} ${e.ok ? 'fulfilled' : `rejected (${errorText(e.error)})`} after ${(e.runMs as number).toFixed(1)} ms`
    default:
      return undefined
  }
}
