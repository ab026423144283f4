import { build } from 'esbuild'
import type { Plugin } from 'esbuild'
import { defineConfig } from 'tsup'
import type { Options } from 'tsup'

const shared = {
  clean: false, // `npm run build` empties dist/ first: the two builds run side by side
  target: 'es2022',
  platform: 'neutral',
  external: [/^node:/],
  shims: true,
} satisfies Options

/**
 * The modules a backend starts a thread with (or loads into one), by the file of
 * `adapters/embedded/` that stands for them. The public build embeds their text (see
 * `embedWorkers`) so a backend needs no file beside it: an application bundled by
 * esbuild, Rollup, webpack or `bun build --compile` still starts its workers.
 * `dist/<name>.js` holds the same modules as files, for `nodeBackend({ entry })` and friends.
 */
const embeddedModules: Record<string, Record<string, string>> = {
  node: { nodeWorker: 'adapters/node-worker.ts', nodeLoader: 'adapters/node-loader.ts', nodePreload: 'adapters/node-preload.ts' },
  web: { webWorker: 'adapters/web-worker.ts', webLoader: 'adapters/web-loader.ts' },
  synckit: { synckitWorker: 'adapters/synckit-worker.ts' },
}

/** One module bundled into a single ES module: whitespace and syntax minified, names kept for stacks. */
async function bundleModule(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: shared.target,
    external: ['node:*'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    charset: 'ascii', // the adapters base64 the text with btoa(), which takes Latin-1 only
    logLevel: 'warning',
  })
  return result.outputFiles[0]!.text
}

/**
 * Replaces each file of `adapters/embedded/` (which, from the TypeScript sources, points
 * at the module's file) with the module's bundled text: `export const nodeWorker = { text }`.
 */
const embedWorkers: Plugin = {
  name: 'anythread-embed-workers',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]adapters[\\/]embedded[\\/](node|web|synckit)\.ts$/ }, async ({ path }) => {
      const group = /(node|web|synckit)\.ts$/.exec(path)![1]!
      const lines = await Promise.all(
        Object.entries(embeddedModules[group]!).map(async ([name, entry]) => `export const ${name} = { text: ${JSON.stringify(await bundleModule(entry))} };`),
      )
      return { contents: lines.join('\n'), loader: 'js' }
    })
  },
}

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
    esbuildPlugins: [embedWorkers],
  },
  {
    // The worker entries as files: ESM only, each self-contained (no shared chunks), so one
    // can be copied beside an application and named with `entry`. Never imported by users.
    ...shared,
    entry: {
      'node-worker': 'adapters/node-worker.ts',
      'web-worker': 'adapters/web-worker.ts',
      'synckit-worker': 'adapters/synckit-worker.ts',
    },
    format: ['esm'],
    splitting: false,
    // Minified as the embedded copies are (names kept, for stacks).
    esbuildOptions(options) {
      options.minifyWhitespace = true
      options.minifySyntax = true
      options.legalComments = 'none'
    },
  },
])
