import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    worker: 'src/worker.ts',
    node: 'adapters/node.ts',
    deno: 'adapters/deno.ts',
    bun: 'adapters/bun.ts',
    synckit: 'adapters/synckit.ts',
    // Worker entries: always ESM, loaded by the adapters next to them.
    'node-worker': 'adapters/node-worker.ts',
    'web-worker': 'adapters/web-worker.ts',
    'synckit-worker': 'adapters/synckit-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: [/^node:/],
})
