// A consumer of the published declarations, type-checked without the DOM library (Node's
// types only) and with skipLibCheck off: the public .d.ts files must stand on their own.
import { CapacityLimiter, TimeoutError, WorkerCrashedError, createBridge } from 'anythread'
import type { Backend, Bridge, ModuleHandle } from 'anythread'
import { bunBackend } from 'anythread/bun'
import { denoBackend } from 'anythread/deno'
import { nodeBackend } from 'anythread/node'
import { createSyncFn, runAsWorker } from 'anythread/synckit'
import { checkCancelled, currentSignal, fromThread, transfer } from 'anythread/worker'

type Tasks = { add(a: number, b: number): Promise<number> }

const backend: Backend = nodeBackend({ entry: new URL('file:///srv/node-worker.js'), execArgv: [] })
const bridge: Bridge = createBridge({ backend, limiter: new CapacityLimiter(2) })
const tasks: ModuleHandle<Tasks> = bridge.load<Tasks>(new URL('file:///srv/tasks.js'))
const sum: number = tasks.runSync('add', 1, 2)
void tasks
  .with({ timeout: 5 })
  .run('add', 1, 2)
  .catch((error: unknown) => error instanceof TimeoutError || error instanceof WorkerCrashedError)
void [denoBackend, bunBackend, createSyncFn, runAsWorker, checkCancelled, currentSignal, fromThread, transfer, sum]
bridge.close()
