import { defineConfig } from 'tsup'
import type { Options } from 'tsup'

const shared = {
  clean: false, // `npm run build` empties dist/ first: the two builds run side by side
  target: 'es2022',
  platform: 'neutral',
  external: [/^node:/],
  shims: true,
} satisfies Options

export default defineConfig([
  {
    // The public entry points: ESM + CJS + types.
    ...shared,
    entry: {
      index: 'src/index.ts',
      worker: 'src/worker/index.ts',
      node: 'adapters/node.ts',
      deno: 'adapters/deno.ts',
      bun: 'adapters/bun.ts',
      synckit: 'adapters/synckit.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
  },
  {
    // Worker entries, loaded by the adapters next to them: ESM only, never imported by users.
    ...shared,
    entry: {
      'node-worker': 'adapters/node-worker.ts',
      'web-worker': 'adapters/web-worker.ts',
      'synckit-worker': 'adapters/synckit-worker.ts',
    },
    format: ['esm'],
    splitting: true,
  },
])
