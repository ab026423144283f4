// The worker module: bundled as an entry point of its own, with what it imports.
import { setTimeout as sleep } from 'node:timers/promises'
import { currentSignal } from 'anythread/worker'

export async function describe(caller) {
  await sleep(1, undefined, { signal: currentSignal() })
  return `${caller}: hello from the worker`
}
