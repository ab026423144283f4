// The runtime x backend cells the README claims, and how to run a script on each runtime.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => `${root}node_modules/.bin/${name}`

/**
 * The Node majors tested beside the machine's own Node, one binary each from the
 * `nodeNN` devDependencies (`"node24": "npm:node@^24…"`, the npm `node` package). Their
 * `node` bin would shadow the machine's Node in npm scripts: the `prepare` script removes
 * that link, and the `node` runtime below is the Node that runs npm, whatever PATH says.
 */
export const nodeMajors = ['22', '24', '26']

/** The binary of Node `major` installed by the `node${major}` devDependency. */
export function nodeBinary(major) {
  return `${root}node_modules/node${major}/bin/node${process.platform === 'win32' ? '.exe' : ''}`
}

/**
 * Command prefix that runs a JavaScript file on `runtime`: `node` (the Node running npm,
 * else this process's), `node22`/`node24`/`node26`, `deno` or `bun`.
 */
export function runner(runtime) {
  if (runtime === 'deno') return [bin('deno'), 'run', '-A']
  if (runtime === 'bun') return [bin('bun')]
  const major = /^node(\d+)$/.exec(runtime)?.[1]
  if (major !== undefined) {
    const binary = nodeBinary(major)
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm install (devDependency node${major})`)
    return [binary]
  }
  return [process.env.npm_node_execpath || process.execPath]
}

/** One cell per runtime x backend; `node` is the machine's Node (20 here). */
export const cells = [
  { runtime: 'node', backend: 'node' },
  { runtime: 'deno', backend: 'node' },
  { runtime: 'deno', backend: 'deno' },
  { runtime: 'bun', backend: 'node' },
  { runtime: 'bun', backend: 'bun' },
]

/**
 * The node backend on each other Node major (`node24/node`...). Kept apart from `cells`,
 * whose users (bench, soak, reliability) key their flags by runtime family; `npm test`
 * runs `testCells`, which has both.
 */
export const nodeMajorCells = nodeMajors.map((major) => ({ runtime: `node${major}`, backend: 'node' }))

/** The cells `npm test` runs: the node cells first, then Deno's and Bun's. */
export const testCells = [cells[0], ...nodeMajorCells, ...cells.slice(1)]

export { root }
