// Host side of the raw spin ping-pong (worker side: ../fixtures/floor-worker.mjs).
// The host stores a request and spins on Atomics.load for the answer; nothing else.
// It is the lowest latency any shared-memory bridge can reach between these two
// threads on this machine, so "within 3x of the floor" says how much our protocol,
// codec and safety checks cost on top of the hardware.
import { Worker as NodeWorker } from 'node:worker_threads'
import { now } from './runtime.mjs'

const workerUrl = new URL('../fixtures/floor-worker.mjs', import.meta.url)
const REQUEST = 0
const ARG = 1
const RESPONSE = 2
const RESULT = 3
const READY = 4

/**
 * Starts the spinning worker: node:worker_threads for the node backend, the runtime's web
 * Worker otherwise, i.e. the same kind of thread our backend under test uses.
 */
export async function startFloor(kind) {
  const slots = new Int32Array(new SharedArrayBuffer(8 * 4))
  let worker
  if (kind === 'node') {
    worker = new NodeWorker(workerUrl, { workerData: { floor: slots } })
  } else {
    worker = new Worker(workerUrl.href, { type: 'module' })
    worker.postMessage(slots)
  }
  const deadline = now() + 20_000
  while (Atomics.load(slots, READY) !== 1) {
    if (now() > deadline) throw new Error('floor worker did not start within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  let seq = 0
  return {
    call(x) {
      seq++
      Atomics.store(slots, ARG, x)
      Atomics.store(slots, REQUEST, seq)
      while (Atomics.load(slots, RESPONSE) !== seq);
      return Atomics.load(slots, RESULT)
    },
    /** Lets the worker leave its spin loop (it must not keep burning a core), then ends it. */
    async stop() {
      Atomics.store(slots, REQUEST, -1)
      await new Promise((resolve) => setTimeout(resolve, 5))
      await worker.terminate()
    },
  }
}
