// The runtime x backend cells the README claims, and how to run a script on each runtime.
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => `${root}node_modules/.bin/${name}`

/** Command prefix that runs a JavaScript file on `runtime`. */
export function runner(runtime) {
  if (runtime === 'deno') return [bin('deno'), 'run', '-A']
  if (runtime === 'bun') return [bin('bun')]
  return [process.execPath]
}

export const cells = [
  { runtime: 'node', backend: 'node' },
  { runtime: 'deno', backend: 'node' },
  { runtime: 'deno', backend: 'deno' },
  { runtime: 'bun', backend: 'node' },
  { runtime: 'bun', backend: 'bun' },
]

export { root }
