// A Bun script that hashes files on the thread pool with run(), reporting progress
// through a callback as each file is done.
//   bun examples/bun-hash/main.ts [files...]
import { createBridge } from 'anythread'
import { bunBackend } from 'anythread/bun'

const bridge = createBridge({ backend: bunBackend(), pool: { maxThreads: 2 } })
const hasher = bridge.load<typeof import('./hash-worker.ts')>(new URL('./hash-worker.ts', import.meta.url))

/** Hashes `paths` on the pool; calls `onProgress` after each file, in completion order. */
async function hashAll(paths: string[], onProgress: (done: number, total: number, path: string) => void): Promise<Map<string, string>> {
  const hashes = new Map<string, string>()
  let done = 0
  await Promise.all(
    paths.map(async (path) => {
      hashes.set(path, await hasher.run('sha256File', path))
      onProgress(++done, paths.length, path)
    }),
  )
  return hashes
}

const here = new URL('.', import.meta.url).pathname
const paths = process.argv.length > 2 ? process.argv.slice(2) : [`${here}main.ts`, `${here}hash-worker.ts`]
const hashes = await hashAll(paths, (done, total, path) => console.log(`[${done}/${total}] ${path.split('/').pop()}`))
for (const [path, hash] of hashes) console.log(`${hash}  ${path.split('/').pop()}`)
bridge.close()
