// A synckit-style worker file, as `anythread/synckit` runs it.
import { runAsWorker } from 'anythread/synckit'

runAsWorker(async (caller) => `${caller}: hello from a synckit worker`)
