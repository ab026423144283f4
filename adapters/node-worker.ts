/**
 * Worker entry of the `node:worker_threads` backend: hooks the thread's death, makes its
 * stdio synchronous, and serves calls.
 */
import { writeSync } from 'node:fs'
import { getHeapStatistics } from 'node:v8'
import { workerData } from 'node:worker_threads'
import { serve } from '../src/worker/serve.ts'
import type { NodeBoot } from './node.ts'
import { isProxy } from './proxy.ts'
import { receiveMessageSync } from './receive.ts'

const boot = workerData as NodeBoot

if (boot.syncStdio) {
  writeStraightThrough(process.stdout, 1)
  writeStraightThrough(process.stderr, 2)
}

serve(boot, {
  receiveMessageSync,
  isProxy,
  heapUsed: () => getHeapStatistics().used_heap_size,
  onDeath(hook) {
    process.on('exit', (code) => hook(undefined, code))
    const fail = (error: unknown): void => {
      hook(error, 1)
      process.exit(1)
    }
    process.on('uncaughtException', fail)
    process.on('unhandledRejection', fail)
  },
})

/**
 * Node sends a worker's stdout through the host's event loop, which does not run while
 * the host blocks; write to the descriptor instead so output keeps its place.
 */
function writeStraightThrough(stream: NodeJS.WriteStream, fd: number): void {
  const write = (
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean => {
    if (typeof encoding === 'function') callback = encoding
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk
    writeFully(fd, bytes)
    callback?.()
    return true
  }
  stream.write = write as typeof stream.write
}

const pause = new Int32Array(new SharedArrayBuffer(4))

function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0
  let retries = 0
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset)
    } catch (error) {
      // A non-blocking pipe that is full: wait for the reader, but not forever.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > 2000) throw error
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}
