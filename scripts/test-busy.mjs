// `npm run test:busy`: the whole suite (`npm test`, same arguments) with two busy processes
// beside it, so that each of the 2 cores here is shared: tests must assert behaviour, not
// the machine's speed. `BUSY=k` sets the number of busy processes.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startBusy } from './busy.mjs'

const count = Number(process.env.BUSY ?? 2)
console.log(`▶ ${count} busy processes beside the suite`)
const stop = startBusy(count)
const test = fileURLToPath(new URL('./test.mjs', import.meta.url))
const result = spawnSync(process.execPath, [test, ...process.argv.slice(2)], { stdio: 'inherit' })
stop()
process.exit(result.status ?? 1)
