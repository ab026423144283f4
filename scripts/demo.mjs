// `npm run demo`: the demo program on Node, Deno and Bun, each with its own backend.
import { spawnSync } from 'node:child_process'
import { root, runner } from './cells.mjs'

let failed = 0
for (const runtime of ['node', 'deno', 'bun']) {
  const [command, ...prefix] = runner(runtime)
  const result = spawnSync(command, [...prefix, 'examples/demo/main.mjs'], { cwd: root, stdio: 'inherit', timeout: 120_000 })
  if (result.status !== 0) {
    failed++
    console.error(`demo failed on ${runtime} (${result.status ?? result.signal})`)
  }
}
process.exit(failed === 0 ? 0 : 1)
