// The portal's module: an in-memory word index, opened once and kept between calls.
import { readFile, readdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

let index // word -> Set of file names; lives as long as the portal
let opened = 0

async function build(dir, onFile) {
  const words = new Map()
  const files = (await readdir(new URL(dir))).filter((name) => /\.(m?js|ts|md)$/.test(name)).sort()
  for (const [i, name] of files.entries()) {
    const text = await readFile(new URL(name, dir), 'utf8')
    for (const word of text.toLowerCase().match(/[a-z]{4,}/g) ?? []) {
      if (!words.has(word)) words.set(word, new Set())
      words.get(word).add(name)
    }
    await onFile?.(i + 1, files.length, name)
    await sleep(5) // a slow source: other calls are served meanwhile
  }
  return words
}

/** Opens the index on first use; later calls reuse it. */
export async function search(dir, word) {
  if (index === undefined) {
    index = await build(dir)
    opened++
  }
  return [...(index.get(word.toLowerCase()) ?? [])]
}

/** Rebuilds the index in the background, reporting each file through the host's callback. */
export async function reindex(dir, report) {
  index = await build(dir, (done, total, name) => report(done, total, name))
  return index.size
}

export const timesOpened = () => opened
