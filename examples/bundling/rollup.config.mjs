// npx rollup -c: main.js and each worker module as entry points of their own, with every
// dependency inlined (anythread included), into out/.
import { nodeResolve } from '@rollup/plugin-node-resolve'

export default {
  input: { main: 'main.js', tasks: 'tasks.js', 'sync-worker': 'sync-worker.js' },
  output: { dir: 'out', format: 'es', entryFileNames: '[name].js' },
  external: [/^node:/],
  // Keep each worker module's exports: they are what the bridge calls.
  preserveEntrySignatures: 'strict',
  plugins: [nodeResolve(), esmPackageJson()],
}

/** Node reads .js files as ES modules only under a package.json that says so. */
function esmPackageJson() {
  return {
    name: 'esm-package-json',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "module" }\n' })
    },
  }
}
