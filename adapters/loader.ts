/**
 * What node-loader.ts and web-loader.ts share: telling a host, which may be blocked in
 * `runSync`, why a worker entry failed. The reason goes on the control port (a blocked
 * host drains it once it sees the thread dead), then the channel is marked dead.
 */
import type { BootData } from '../src/shared/backend.ts'
import { errorMessage, plainError } from '../src/shared/errors.ts'
import { Channel } from '../src/wire/channel.ts'
import type { PortMessage } from '../src/wire/protocol.ts'

/** Reports that `entry` threw while loading (missing, does not parse, throws at top level). */
export function entryDidNotLoad(boot: BootData, entry: string, cause: unknown): void {
  // Node and Bun name the importer, this loader: a long data: or blob: URL that says nothing.
  const reason = errorMessage(cause).replace(/\s*imported from \/?(data|blob):\S*/g, '')
  const error = new Error(`the worker entry ${entry} did not load: ${reason}`)
  if (cause instanceof Error && typeof cause.stack === 'string') {
    error.stack = `Error: ${error.message}\n${cause.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n')}`
  }
  report(boot, error)
}

/** Reports an entry that loaded but never started serving (not anythread's entry); true if so. */
export function entryIsNotServing(boot: BootData, entry: string): boolean {
  if (!new Channel(boot.buffer).booting) return false
  report(
    boot,
    new Error(
      `the worker entry ${entry} loaded but did not start serving: it must be anythread's worker entry (anythread/node-worker, anythread/web-worker) or a module that imports it`,
    ),
  )
  return true
}

function report(boot: BootData, error: Error): void {
  try {
    boot.port.postMessage({ t: 'crash', error: plainError(error) } satisfies PortMessage)
  } catch {
    // The port is gone: the exit code still tells the host.
  }
  new Channel(boot.buffer).markDead(1)
}
