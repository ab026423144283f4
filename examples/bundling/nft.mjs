// node nft.mjs <dir>: copies main.js and every file it needs, as @vercel/nft traces them
// (the way serverless platforms deploy), into <dir>. nft follows
// `new URL('./tasks.js', import.meta.url)` to the worker modules and their imports; a
// worker module whose URL is computed must be named here as an entry of its own.
import { cpSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { nodeFileTrace } from '@vercel/nft'

const target = process.argv[2] ?? 'out'
const { fileList, warnings } = await nodeFileTrace(['main.js'], { base: process.cwd() })
for (const warning of warnings) console.warn(`nft: ${warning.message}`)
for (const file of fileList) {
  mkdirSync(join(target, dirname(file)), { recursive: true })
  cpSync(file, join(target, file))
}
console.log(`nft: ${fileList.size} files`)
