// A synchronous formatter built on Prettier 3's async API, as a lint rule or a
// synchronous build step needs it. Runs on Node, Deno and Bun:
//   node examples/prettier-sync/main.mjs
import { createBridge } from 'anythread'
import { nodeBackend } from 'anythread/node'

const bridge = createBridge({ backend: nodeBackend(), timeout: 10_000 })
const prettier = bridge.load(new URL('./format-worker.mjs', import.meta.url))

/** Formats TypeScript source synchronously. */
export function formatSync(source) {
  return prettier.runSync('format', source, { parser: 'typescript', semi: false, singleQuote: true })
}

const ugly = 'const   answer:number=  42;function add(a:number,b:number){return a+b}'
console.log(formatSync(ugly))
bridge.close()
