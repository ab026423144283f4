/**
 * Reading a port without waiting, which every backend needs on both sides (a blocked host
 * pulls payloads, the worker pulls its requests' payloads). All three runtimes have it
 * through `node:worker_threads`, for node and web ports alike.
 */
import { receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort as NodeMessagePort } from 'node:worker_threads'

/** Takes the next message queued on `port` without waiting, or `undefined`. */
export function receiveMessageSync(port: MessagePort): { message: unknown } | undefined {
  return receiveMessageOnPort(port as unknown as NodeMessagePort) as { message: unknown } | undefined
}
