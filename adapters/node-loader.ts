/**
 * The first module of a thread started with `nodeBackend({ entry })`: imports that entry
 * and, if it does not load or does not start serving, tells the host why (which file,
 * which error) before the thread ends. The host may be blocked in `runSync`, where the
 * runtime's 'error' event cannot reach it: the reason travels on the control port, which
 * a blocked host reads synchronously, and the channel is marked dead to wake it.
 */
import { workerData } from 'node:worker_threads'
import { entryDidNotLoad, entryIsNotServing } from './loader.ts'
import type { NodeBoot } from './node.ts'

const boot = workerData as NodeBoot & { readonly entry: string }
try {
  await import(boot.entry)
} catch (cause) {
  entryDidNotLoad(boot, boot.entry, cause)
  process.exit(1)
}
if (entryIsNotServing(boot, boot.entry)) process.exit(1)
