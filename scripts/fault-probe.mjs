// Runs the fault matrix on this runtime with the backend named by ANYTHREAD_BACKEND and
// prints the rows as JSON (one line). Called by scripts/reliability.mjs once per cell.
import { probe } from '../test/fault-catalog.mjs'

const backend = globalThis.process?.env.ANYTHREAD_BACKEND ?? 'node'
const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node'
const factories = { node: 'node', deno: 'deno', bun: 'bun' }
const module = await import(`../dist/${factories[backend]}.js`)
const make = module[`${backend}Backend`]
const rows = await probe((options) => make(options), { runtime, backend })
console.log(JSON.stringify(rows))
process.exit(0)
