// npx webpack -c webpack.config.mjs: ES module output for Node, main.js and each worker
// module as entry points of their own, every dependency inlined, into out/.
import { fileURLToPath } from 'node:url'
import webpack from 'webpack'

export default {
  mode: 'production',
  target: 'node20',
  context: fileURLToPath(new URL('.', import.meta.url)),
  entry: { main: './main.js', tasks: './tasks.js', 'sync-worker': './sync-worker.js' },
  experiments: { outputModule: true },
  output: {
    path: fileURLToPath(new URL('./out', import.meta.url)),
    filename: '[name].js',
    module: true,
    chunkFormat: 'module',
    library: { type: 'module' }, // a worker module's exports stay exports
  },
  module: {
    parser: {
      javascript: {
        // Leave `new URL('./tasks.js', import.meta.url)` to run time. Otherwise webpack
        // copies tasks.js as an asset, unbundled, and writes the build machine's path
        // for import.meta.url.
        url: false,
        importMeta: false,
      },
    },
  },
  optimization: { minimize: false },
  plugins: [
    {
      // Node reads .js files as ES modules only under a package.json that says so.
      apply(compiler) {
        compiler.hooks.thisCompilation.tap('esm-package-json', (compilation) => {
          compilation.hooks.processAssets.tap({ name: 'esm-package-json', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
            compilation.emitAsset('package.json', new webpack.sources.RawSource('{ "type": "module" }\n'))
          })
        })
      },
    },
  ],
}
