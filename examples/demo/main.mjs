// Sync code calling an async function: run this with node, deno or bun.
//   node examples/demo/main.mjs        (node backend)
//   deno run -A examples/demo/main.mjs (deno backend)
//   bun examples/demo/main.mjs         (bun backend)
import { fileURLToPath } from 'node:url'
import { createBridge } from 'anythread'

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const { backend } =
  runtime === 'deno'
    ? { backend: (await import('anythread/deno')).denoBackend() }
    : runtime === 'bun'
      ? { backend: (await import('anythread/bun')).bunBackend() }
      : { backend: (await import('anythread/node')).nodeBackend() }

const bridge = createBridge({ backend })
const tasks = bridge.load(new URL('./tasks.js', import.meta.url))

// A plain synchronous function, as a lint rule or a config loader would be.
function loadConfigSync(path) {
  return tasks.runSync('readConfig', path)
}

let started = performance.now()
const config = loadConfigSync(fileURLToPath(new URL('./tasks.js', import.meta.url)))
const first = performance.now() - started
console.log(`[${runtime}/${backend.name}] readConfig ->`, JSON.stringify(config), `(${first.toFixed(1)} ms, including worker start-up)`)

const calls = 20_000
started = performance.now()
let x = 0
for (let i = 0; i < calls; i++) x = tasks.runSync('increment', x)
const perCall = ((performance.now() - started) * 1000) / calls
console.log(`[${runtime}/${backend.name}] ${calls} sync calls of an async function: x = ${x}, ${perCall.toFixed(2)} µs per call`)

bridge.close()
