/**
 * What the Deno and Bun backends share: starting a web `Worker` that runs
 * `web-worker.ts`, and reading a port synchronously through their `node:worker_threads`.
 */
import { receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort as NodeMessagePort } from 'node:worker_threads'
import type { BootData, ExitInfo, WorkerThread } from '../src/backend.ts'

/** A web Worker, with the extras Bun adds. */
interface RuntimeWorker extends Worker {
  unref?(): void
  ref?(): void
}

/** Starts a module web Worker that serves `boot`; `options` are passed to the runtime. */
export function spawnWebWorker(entry: URL, boot: BootData, onExit: (info: ExitInfo) => void, options: object): WorkerThread {
  const worker = new Worker(entry.href, { type: 'module', ...options }) as RuntimeWorker
  let ended = false
  const end = (info: ExitInfo): void => {
    if (ended) return
    ended = true
    onExit(info)
  }
  // An uncaught error in a worker would end the whole program on Deno unless handled here.
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault()
    end({ error: event.error ?? new Error(event.message) })
  })
  worker.addEventListener('close', () => end({}))
  worker.postMessage(boot, [boot.port, boot.reverseDoorbell])
  return {
    terminate: () => {
      worker.terminate()
      end({})
    },
    unref: () => worker.unref?.(),
    ref: () => worker.ref?.(),
  }
}

export function receiveMessageSync(port: MessagePort): { message: unknown } | undefined {
  return receiveMessageOnPort(port as unknown as NodeMessagePort) as { message: unknown } | undefined
}
