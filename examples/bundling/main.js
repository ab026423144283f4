// An application to bundle: it calls its worker module synchronously and on the pool,
// and a synckit-style worker, on whatever runtime runs the bundle. The recipes beside it
// (esbuild.mjs, rollup.config.mjs, vite.config.mjs, webpack.config.mjs, nft.mjs, and the
// Bun and Deno commands in the README) build it with the worker modules as entry points
// of their own, written beside main.js; `npm run test:bundlers` runs every one.
import { createBridge } from 'anythread'
import { bunBackend } from 'anythread/bun'
import { denoBackend } from 'anythread/deno'
import { nodeBackend } from 'anythread/node'
import { createSyncFn } from 'anythread/synckit'

const backend = globalThis.Deno ? denoBackend() : globalThis.Bun ? bunBackend() : nodeBackend()
const bridge = createBridge({ backend })

// The worker module, built beside this file.
const tasks = bridge.load(new URL('./tasks.js', import.meta.url))
console.log(tasks.runSync('describe', 'runSync'))
tasks.run('describe', 'run').then((text) => {
  console.log(text)
  bridge.close()
  const greet = createSyncFn(new URL('./sync-worker.js', import.meta.url))
  console.log(greet('synckit'))
})
