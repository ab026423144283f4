// A Deno script that fetches a file: URL synchronously, on a worker whose permissions
// allow reading this folder and nothing else.
//   deno run --allow-read --unstable-worker-options examples/deno-fetch/main.ts
import { createBridge } from 'anythread'
import { denoBackend } from 'anythread/deno'

const here = new URL('.', import.meta.url)
const bridge = createBridge({
  backend: denoBackend({ permissions: { read: [Deno.realPathSync(here)], net: false, env: false, write: false, run: false, ffi: false, sys: false } }),
})
const files = bridge.load<typeof import('./read-worker.ts')>(new URL('./read-worker.ts', import.meta.url))

function readSync(url: URL): string {
  return files.runSync('readText', url.href)
}

const text = readSync(new URL('./read-worker.ts', import.meta.url))
console.log(`read ${text.length} characters; first line: ${text.split('\n')[0]}`)

try {
  readSync(new URL('file:///etc/hostname'))
} catch (error) {
  console.log(`outside the folder: ${(error as Error).name}`)
}
bridge.close()
