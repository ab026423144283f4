// Busy processes for contention runs: `startBusy(k)` starts k processes that each keep a
// core busy (a tight loop, bounded by `maxMillis` so a crashed parent leaves none behind),
// and returns a function that stops them. Used by `npm run test:busy` and the benchmarks.
import { spawn } from 'node:child_process'

const LOOP = 'const end = Date.now() + Number(process.argv[1]); let x = 0; while (Date.now() < end) x = (x * 31 + 7) | 0'

/** Starts `count` busy processes; returns `stop()`. */
export function startBusy(count, maxMillis = 30 * 60_000) {
  const children = []
  for (let i = 0; i < count; i++) {
    children.push(spawn(process.execPath, ['-e', LOOP, String(maxMillis)], { stdio: 'ignore' }))
  }
  const stop = () => {
    process.off('exit', stop) // a caller that starts many sets must not pile up listeners
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  }
  process.once('exit', stop)
  return stop
}
