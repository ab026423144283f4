// A blocking portal: sync code drives one long-lived event loop across many calls.
//   node examples/portal/main.mjs          (node backend)
//   deno run -A examples/portal/main.mjs   (deno backend)
//   bun examples/portal/main.mjs           (bun backend)
import { createBridge } from 'anythread'

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const backend =
  runtime === 'deno'
    ? (await import('anythread/deno')).denoBackend()
    : runtime === 'bun'
      ? (await import('anythread/bun')).bunBackend()
      : (await import('anythread/node')).nodeBackend()

const portal = createBridge({ backend }).startBlockingPortal()
try {
  const index = portal.load(new URL('./search-worker.mjs', import.meta.url))
  const dir = new URL('../demo/', import.meta.url).href

  // Plain synchronous functions, as a lint rule would call them.
  const search = (word) => index.runSync('search', dir, word)

  console.log(`'readfile' is in: ${search('readFile').join(', ')}`)
  console.log(`'increment' is in: ${search('increment').join(', ')}`)

  // A background job on the same loop, with progress reported back into this thread.
  const job = index.startTaskSoon('reindex', dir, (done, total, name) => console.log(`  reindexed ${done}/${total}: ${name}`))
  console.log(`'sleep' is in: ${search('sleep').join(', ')} (answered while the job runs: ${!job.done()})`)
  console.log(`reindex done: ${job.result(10_000)} words`)
  console.log(`the index was opened ${index.runSync('timesOpened')} time(s) for ${3} searches`)
} finally {
  portal.stop()
}
