/**
 * The first `--import` of a `node:worker_threads` thread whose `execArgv` has `--import`s
 * of its own (see `node.ts`). Node runs those modules before the thread's entry, and one
 * that is missing or throws ends the thread before the entry
 * could hook its death: a host blocked in `runSync` would see nothing until
 * `startupTimeout`. So this module, which Node runs before them, hooks the thread's death
 * while it boots, and reports the error on the control port and marks the channel dead,
 * which wakes a blocked host at once with the cause. Once the entry serves, its own hooks
 * take over and these stand aside.
 */
import { workerData } from 'node:worker_threads'
import { headerOf, isBooting } from '../src/wire/life.ts'
import { failedWhileBooting } from './loader.ts'
import type { NodeBoot } from './node.ts'

const boot = workerData as NodeBoot
const header = headerOf(boot.buffer)

const fail = (error: unknown): void => {
  if (!isBooting(header)) return // the entry's own hooks handle it
  failedWhileBooting(boot, error, 1)
  process.exit(1)
}
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
process.on('exit', (code) => {
  if (isBooting(header)) failedWhileBooting(boot, new Error(`the worker exited with code ${code} while it ran its execArgv --import modules`), code)
})
