// npx tsup: esbuild through tsup, every dependency inlined (noExternal), main.js and each
// worker module as entry points of their own, into out/.
import { writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['main.js', 'tasks.js', 'sync-worker.js'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outDir: 'out',
  noExternal: [/./],
  splitting: false,
  clean: true,
  // Node reads .js files as ES modules only under a package.json that says so.
  onSuccess: async () => writeFileSync('out/package.json', '{ "type": "module" }\n'),
})
