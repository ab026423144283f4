// `npm run test:bundlers`: the bundling smoke builds. Builds examples/bundling (an app that
// calls a worker module with runSync and run(), and a synckit-style worker) against the
// packed package with each bundler's recipe from that folder, copies the output to a
// directory with no node_modules anywhere above it, deletes the build directory, runs
// the copy on each runtime it targets, and checks what it prints. Prints a table
// (bundler x runtime) and fails if any cell fails.
//
//   node scripts/bundlers.mjs                  every smoke
//   node scripts/bundlers.mjs esbuild-esm nft  only those (names as in the table)
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, parse } from 'node:path'
import { root, runner } from './cells.mjs'

const app = join(root, 'examples', 'bundling')
const expected = ['runSync: hello from the worker', 'run: hello from the worker', 'synckit: hello from a synckit worker']
/** The bundlers the recipes import, linked into each build directory's node_modules. */
const tools = ['esbuild', 'tsup', 'rollup', '@rollup/plugin-node-resolve', 'vite', 'webpack', '@vercel/nft']

const node = runner('node')
const deno = runner('deno')
const bun = runner('bun')
const runtimes = { node, deno, bun }

/**
 * Each smoke: how to build (in the build directory, as the recipe says), what to copy
 * from it, and how to run the copy, on which runtimes.
 */
const smokes = [
  {
    name: 'esbuild-esm',
    what: 'esbuild --bundle --platform=node --format=esm',
    build: [...node, 'esbuild.mjs', 'esm'],
    output: 'out',
    run: ['node', 'deno', 'bun'],
    main: 'main.js',
  },
  {
    name: 'esbuild-cjs',
    what: 'esbuild --bundle --platform=node --format=cjs',
    build: [...node, 'esbuild.mjs', 'cjs'],
    output: 'out',
    run: ['node', 'bun'],
    main: 'main.js',
  },
  {
    name: 'tsup',
    what: 'tsup (esbuild), noExternal: everything',
    build: [...node, 'node_modules/tsup/dist/cli-default.js', '--silent'],
    output: 'out',
    run: ['node'],
    main: 'main.js',
  },
  {
    name: 'rollup',
    what: 'Rollup + @rollup/plugin-node-resolve, everything inlined',
    build: [...node, 'node_modules/rollup/dist/bin/rollup', '-c', '--silent'],
    output: 'out',
    run: ['node', 'deno', 'bun'],
    main: 'main.js',
  },
  {
    name: 'vite-ssr',
    what: 'Vite SSR build, ssr.noExternal: true',
    build: [...node, 'node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'],
    output: 'out',
    run: ['node', 'deno', 'bun'],
    main: 'main.js',
  },
  {
    name: 'webpack',
    what: 'webpack 5, target node, ES module output',
    build: [...node, '--input-type=module', '-e', webpackRunner()],
    output: 'out',
    run: ['node', 'deno', 'bun'],
    main: 'main.js',
  },
  {
    name: 'nft',
    what: '@vercel/nft trace of main.js and its worker modules, traced files copied',
    build: [...node, 'nft.mjs', 'traced'],
    output: 'traced',
    run: ['node'],
    main: 'main.js',
  },
  {
    name: 'bun-build',
    what: 'bun build --target=bun',
    build: [...bun, 'build', 'main.js', 'tasks.js', 'sync-worker.js', '--target=bun', '--outdir=out'],
    output: 'out',
    run: ['bun'],
    main: 'main.js',
  },
  {
    name: 'bun-compile',
    what: 'bun build --compile (one executable)',
    build: [...bun, 'build', '--compile', 'main.js', 'tasks.js', 'sync-worker.js', '--outfile=app'],
    output: 'app',
    run: ['binary'],
    main: 'app',
  },
  {
    name: 'deno-bundle',
    what: 'deno bundle (esbuild inside Deno; fetches esbuild from npm once)',
    build: [deno[0], 'bundle', '--quiet', '--platform=deno', '--outdir=out', 'main.js', 'tasks.js', 'sync-worker.js'],
    output: 'out',
    run: ['deno', 'node'],
    main: 'main.js',
  },
  {
    name: 'deno-compile',
    what: 'deno compile (one executable)',
    build: [deno[0], 'compile', '--quiet', '-A', '--include=tasks.js', '--include=sync-worker.js', '--output=app', 'main.js'],
    output: 'app',
    run: ['binary'],
    main: 'app',
    // deno compile downloads its runtime (denort) from Deno's own download server, outside npm.
    skipIf: (output) =>
      /denort|download/i.test(output) &&
      /error sending request|dns error|Connect/i.test(output) &&
      "deno compile downloads denort from Deno's own download server, which this machine cannot reach",
  },
]

function webpackRunner() {
  return [
    "import webpack from 'webpack'",
    "import config from './webpack.config.mjs'",
    'webpack(config, (error, stats) => {',
    '  if (error || stats.hasErrors()) { console.error(error ?? stats.toString("errors-only")); process.exit(1) }',
    '  if (stats.hasWarnings()) console.error(stats.toString("errors-warnings"))',
    '})',
  ].join('\n')
}

function hasNodeModulesAbove(directory) {
  for (let dir = directory; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

function sh(command, args, options = {}) {
  const started = performance.now()
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 180_000, ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } })
  return { ...result, seconds: (performance.now() - started) / 1000 }
}

const only = process.argv.slice(2)
const work = mkdtempSync(join(tmpdir(), 'anythread-bundlers-'))
const above = hasNodeModulesAbove(work)
if (above !== undefined) {
  console.error(`✗ ${work} has a node_modules above it (in ${above}): the runs would not prove anything`)
  process.exit(1)
}

// The package as npm would install it.
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const packed = sh(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: root })
const tarball = packed.stdout.trim().split('\n').pop()
if (packed.status !== 0 || !tarball) {
  console.error(`✗ npm pack failed\n${packed.stderr}`)
  process.exit(1)
}
const extracted = join(work, 'package-extracted')
mkdirSync(extracted)
const untar = sh('tar', ['-xzf', join(work, tarball), '-C', extracted])
if (untar.status !== 0) {
  console.error(`✗ tar failed\n${untar.stderr}`)
  process.exit(1)
}
console.log(`packed ${tarball} (${(statSync(join(work, tarball)).size / 1024).toFixed(0)} KiB) into ${work}`)

/** A build directory: the app's files, the packed anythread, the bundlers linked in. */
function buildDirectory(name) {
  const directory = join(work, name, 'build')
  mkdirSync(directory, { recursive: true })
  for (const file of readdirSync(app)) cpSync(join(app, file), join(directory, file), { recursive: true })
  cpSync(join(extracted, 'package'), join(directory, 'node_modules', 'anythread'), { recursive: true })
  // The application's own package.json, as after `npm install anythread`.
  writeFileSync(join(directory, 'package.json'), `${JSON.stringify({ private: true, type: 'module', dependencies: { anythread: '*' } }, null, 2)}\n`)
  for (const tool of tools) {
    const link = join(directory, 'node_modules', tool)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(join(root, 'node_modules', tool), link, 'junction')
  }
  return directory
}

const rows = []
for (const smoke of smokes) {
  if (only.length > 0 && !only.includes(smoke.name)) continue
  console.log(`\n▶ ${smoke.name}: ${smoke.what}`)
  const directory = buildDirectory(smoke.name)
  const built = sh(smoke.build[0], smoke.build.slice(1), { cwd: directory })
  const buildOutput = `${built.stdout}${built.stderr}`.trim()
  if (buildOutput) console.log(buildOutput.replace(/^/gm, '  | '))
  const skip = built.status !== 0 && smoke.skipIf?.(buildOutput)
  if (skip) {
    console.log(`  - skipped: ${skip}`)
    for (const runtime of smoke.run) rows.push({ smoke, runtime, ok: true, skipped: skip, build: built.seconds })
    continue
  }
  if (built.status !== 0 || !existsSync(join(directory, smoke.output))) {
    console.log(`  ✗ build failed (${built.status ?? built.signal}${built.error ? `: ${built.error.message}` : ''})`)
    for (const runtime of smoke.run) rows.push({ smoke, runtime, ok: false, note: 'build failed', build: built.seconds })
    continue
  }
  // Only the output moves; the build directory, its node_modules included, is deleted.
  const deployed = join(work, smoke.name, 'deployed')
  const outputIsFile = statSync(join(directory, smoke.output)).isFile()
  cpSync(join(directory, smoke.output), outputIsFile ? join(deployed, parse(smoke.output).base) : deployed, { recursive: true })
  rmSync(directory, { recursive: true, force: true })
  console.log(`  built in ${built.seconds.toFixed(1)} s; deployed: ${listFiles(deployed).join(', ')}`)
  for (const runtime of smoke.run) {
    const command = runtime === 'binary' ? [join(deployed, smoke.main)] : runtime === 'deno' ? [...deno, smoke.main] : [...runtimes[runtime], smoke.main]
    const result = sh(command[0], command.slice(1), { cwd: deployed, timeout: 60_000, env: { ANYTHREAD_DEBUG: '' } })
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.trim())
    const ok = result.status === 0 && expected.every((line, i) => lines[i] === line) && lines.length === expected.length
    const note = ok
      ? ''
      : `exit ${result.status ?? result.signal}; stdout ${JSON.stringify(result.stdout.slice(0, 400))}; stderr ${JSON.stringify(result.stderr.slice(0, 800))}`
    console.log(
      `  ${ok ? '✓' : '✗'} ${runtime}: $ ${runtime === 'binary' ? `./${smoke.main}` : `${runtime} ${runtime === 'deno' ? 'run -A ' : ''}${smoke.main}`} (${result.seconds.toFixed(1)} s)${ok ? '' : `\n    ${note}`}`,
    )
    if (ok && result.stderr.trim()) console.log(result.stderr.trim().replace(/^/gm, '    stderr | '))
    rows.push({ smoke, runtime, ok, note, build: built.seconds, run: result.seconds })
  }
}

function listFiles(directory, prefix = '') {
  const files = []
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) files.push(...listFiles(join(directory, entry.name), `${prefix}${entry.name}/`))
    else files.push(`${prefix}${entry.name}`)
  }
  return files.length > 12 ? [...files.slice(0, 12), `… ${files.length} files`] : files
}

console.log('\nBundler smoke builds (built from the packed package, run from a copy with no node_modules above it):')
console.log('  smoke          runtime   build    run')
for (const row of rows) {
  const mark = row.skipped ? '-' : row.ok ? '✓' : '✗'
  console.log(
    `  ${mark} ${row.smoke.name.padEnd(12)} ${row.runtime.padEnd(8)} ${row.build.toFixed(1).padStart(5)} s ${row.run === undefined ? '     -' : `${row.run.toFixed(1).padStart(4)} s`}${row.skipped ? `  skipped: ${row.skipped}` : ''}`,
  )
}
const failed = rows.filter((row) => !row.ok).length
const skipped = rows.filter((row) => row.skipped).length
console.log(`\n${rows.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`)
if (failed === 0) rmSync(work, { recursive: true, force: true })
else console.log(`(kept ${work} for a look)`)
process.exit(failed === 0 && rows.length > 0 ? 0 : 1)
