// npx vite build: an SSR build of main.js with every dependency inlined (ssr.noExternal),
// and each worker module as an entry point of its own, into out/.
import { defineConfig } from 'vite'

export default defineConfig({
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: true,
    outDir: 'out',
    emptyOutDir: true,
    rollupOptions: {
      input: { main: 'main.js', tasks: 'tasks.js', 'sync-worker': 'sync-worker.js' },
      output: { format: 'es', entryFileNames: '[name].js' },
      // Keep each worker module's exports: they are what the bridge calls.
      preserveEntrySignatures: 'strict',
    },
  },
  plugins: [
    {
      // Node reads .js files as ES modules only under a package.json that says so.
      name: 'esm-package-json',
      generateBundle() {
        this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "module" }\n' })
      },
    },
  ],
})
