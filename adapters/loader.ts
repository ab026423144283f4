/**
 * What node-loader.ts, node-preload.ts, web-loader.ts and web-worker.ts share: telling a
 * host, which may be blocked in `runSync`, why a thread failed to start. The reason goes on
 * the control port (a blocked host drains it once it sees the thread dead), then the
 * channel is marked dead, which wakes the host at once.
 */
import type { BootData } from '../src/shared/backend.ts'
import { errorMessage, plainError, portable } from '../src/shared/errors.ts'
import { headerOf, isBooting, markDead } from '../src/wire/life.ts'
import type { PortMessage } from '../src/wire/protocol.ts'

/** Reports that `entry` threw while loading (missing, does not parse, throws at top level). */
export function entryDidNotLoad(boot: BootData, entry: string, cause: unknown): void {
  report(boot, didNotLoad(`the worker entry ${entry}`, cause))
}

/**
 * Reports that a module the thread loads before serving (Bun's `preload`) threw while
 * loading; `preload` is the module as the user named it.
 */
export function preloadDidNotLoad(boot: BootData, preload: string, cause: unknown): void {
  report(boot, didNotLoad(`the preload ${preload}`, cause))
}

/**
 * Reports a thread that failed while still booting, before anythread's entry served: an
 * `--import` module of its `execArgv` threw or was missing. The error is
 * sent as it is, so `runSync` gets the cause `run()` gets from the runtime.
 */
export function failedWhileBooting(boot: BootData, cause: unknown, exitCode: number): void {
  report(boot, portable(cause), exitCode)
}

/** Reports an entry that loaded but never started serving (not anythread's entry); true if so. */
export function entryIsNotServing(boot: BootData, entry: string): boolean {
  if (!isBooting(headerOf(boot.buffer))) return false
  report(
    boot,
    new Error(
      `the worker entry ${entry} loaded but did not start serving: it must be anythread's worker entry (anythread/node-worker, anythread/web-worker) or a module that imports it`,
    ),
  )
  return true
}

/** `what did not load: reason`, with the cause's frames. */
function didNotLoad(what: string, cause: unknown): Error {
  // Node and Bun name the importer, this loader: a long data: or blob: URL that says nothing.
  const reason = errorMessage(cause).replace(/\s*(imported )?from '?\/?(data|blob):\S*/g, '')
  const error = new Error(`${what} did not load: ${reason}`)
  if (cause instanceof Error && typeof cause.stack === 'string') {
    error.stack = `Error: ${error.message}\n${cause.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n')}`
  }
  return error
}

function report(boot: BootData, error: unknown, exitCode = 1): void {
  try {
    boot.port.postMessage({ t: 'crash', error: error instanceof Error ? plainError(error) : error, booting: true } satisfies PortMessage)
  } catch {
    // The port is gone, or the value cannot be cloned: the exit code still tells the host.
  }
  markDead(headerOf(boot.buffer), exitCode)
}
