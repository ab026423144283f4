// The worker module: plain async functions, nothing anythread-specific.
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

export async function readConfig(path) {
  await sleep(20) // some async work: a timer...
  const text = await readFile(path, 'utf8') // ...and a file read
  return { bytes: text.length, firstLine: text.split('\n')[0] }
}

export const increment = async (x) => x + 1
