// node esbuild.mjs esm|cjs: bundles main.js, and each worker module as an entry point of
// its own, into out/. anythread's own worker entries are embedded in its adapters.
import { writeFileSync } from 'node:fs'
import { build } from 'esbuild'

const format = process.argv[2] === 'cjs' ? 'cjs' : 'esm'
await build({
  entryPoints: ['main.js', 'tasks.js', 'sync-worker.js'],
  bundle: true,
  platform: 'node',
  format,
  outdir: 'out',
  logLevel: 'warning',
  // CommonJS has no import.meta.url: give the bundle its own file's URL instead.
  ...(format === 'cjs' && {
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
})
// Node reads .js files as ES modules only under a package.json that says so.
if (format === 'esm') writeFileSync('out/package.json', '{ "type": "module" }\n')
