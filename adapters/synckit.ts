/**
 * `anythread/synckit`: synckit's public API on anythread, so a project can switch by
 * changing one import and keep its worker files. It exports what synckit's entry exports
 * (`createSyncFn`, `runAsWorker`, `startWorkerThread`, the constants, helpers and types),
 * with synckit's semantics: worker paths without an extension are probed, `tsRunner`,
 * `execArgv`, `globalShims`, `transferList` and `timeout` are honoured, and so are the
 * `SYNCKIT_*` environment variables; the argument checks and their messages are synckit's.
 *
 * What differs on purpose: errors keep their class, cause and properties; a worker that
 * dies fails the call with `WorkerCrashedError` instead of hanging; a missing or broken
 * worker file fails with `ModuleLoadError`; a timeout throws `TimeoutError` naming the
 * worker file; it runs on Node, Deno and Bun (each runtime's own backend; Deno and Bun load
 * TypeScript themselves, so no runner is needed there); runner packages are resolved from
 * the worker's folder and a missing one is named. The README's migration section lists all.
 */
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { isAbsolute } from 'node:path'
import { createBridge } from '../src/host/bridge.ts'
import type { Backend } from '../src/shared/backend.ts'
import { TimeoutError } from '../src/shared/errors.ts'
import { bunBackend } from './bun.ts'
import { denoBackend } from './deno.ts'
import { synckitWorker } from './embedded/synckit.ts'
import { dataUrl as entryDataUrl } from './entry.ts'
import { nodeBackend } from './node.ts'
import {
  DEFAULT_EXEC_ARGV,
  DEFAULT_GLOBAL_SHIMS,
  DEFAULT_GLOBAL_SHIMS_PRESET,
  DEFAULT_TIMEOUT,
  DEFAULT_TS_RUNNER,
  IMPORT_FLAG,
  LOADER_FLAGS,
  MTS_SUPPORTED,
  REQUIRE_FLAGS,
  TS_ESM_PARTIAL_SUPPORTED,
  TsRunner,
  resolveFrom,
  setupTsRunner,
} from './synckit-helpers.ts'
import type { AnyFn, GlobalShim, Syncify, SynckitOptions } from './synckit-helpers.ts'
import { REGISTRY } from './synckit-registry.ts'
import type { SynckitRegistry, WorkerSpec } from './synckit-registry.ts'

export {
  DEFAULT_EXEC_ARGV,
  DEFAULT_GLOBAL_SHIMS,
  DEFAULT_GLOBAL_SHIMS_PRESET,
  DEFAULT_TIMEOUT,
  DEFAULT_TS_RUNNER,
  DEFAULT_TYPES_NODE_VERSION,
  EXPERIMENTAL_LOADER_FLAG,
  FEATURE_TYPESCRIPT_NODE_VERSION,
  IMPORT_FLAG,
  IMPORT_FLAG_SUPPORTED,
  LOADER_FLAG,
  LOADER_FLAGS,
  MODULE_REGISTER_SUPPORTED,
  MTS_SUPPORTED,
  NODE_OPTIONS,
  NODE_VERSION,
  NO_STRIP_TYPES,
  NO_STRIP_TYPES_FLAG,
  REQUIRE_ABBR_FLAG,
  REQUIRE_FLAG,
  REQUIRE_FLAGS,
  STRIP_TYPES_FLAG,
  STRIP_TYPES_NODE_VERSION,
  TRANSFORM_TYPES_FLAG,
  TRANSFORM_TYPES_NODE_VERSION,
  TS_ESM_PARTIAL_SUPPORTED,
  TsRunner,
  _generateGlobals,
  compareNodeVersion,
  compareVersion,
  dataUrl,
  encodeImportModule,
  extractProperties,
  generateGlobals,
  hasFlag,
  hasImportFlag,
  hasLoaderFlag,
  hasRequireFlag,
  isFile,
  md5Hash,
  overrideStdio,
  parseVersion,
  setupTsRunner,
} from './synckit-helpers.ts'
export type {
  AnyFn,
  DataMessage,
  GlobalShim,
  MainToWorkerCommandMessage,
  MainToWorkerMessage,
  PackageJson,
  StdioChunk,
  StdioEncoding,
  Syncify,
  SynckitOptions,
  ValueOf,
  WorkerData,
  WorkerFailureMessage,
  WorkerToMainMessage,
} from './synckit-helpers.ts'

let syncFnCache: Map<string, AnyFn> | undefined

/**
 * synckit's `createSyncFn`: a function that blocks until the worker file's `runAsWorker`
 * function settles, one per path (cached). `workerPath` is an absolute path or a `file:`
 * URL; a non-file URL throws synckit's TypeError (`The URL must be of scheme file`), a
 * relative path `` `workerPath` must be absolute ``, both at once.
 */
export function createSyncFn<T extends AnyFn>(workerPath: URL | string, timeoutOrOptions?: SynckitOptions | number): Syncify<T> {
  syncFnCache ??= new Map()
  if (typeof workerPath !== 'string' || workerPath.startsWith('file://')) workerPath = fileURLToPath(workerPath)
  const cached = syncFnCache.get(workerPath)
  if (cached) return cached as Syncify<T>
  if (!isAbsolute(workerPath)) throw new Error('`workerPath` must be absolute')
  const syncFn = startWorkerThread<T>(workerPath, typeof timeoutOrOptions === 'number' ? { timeout: timeoutOrOptions } : timeoutOrOptions)
  syncFnCache.set(workerPath, syncFn)
  return syncFn as Syncify<T>
}

/**
 * synckit's `runAsWorker`: call it at the top level of a worker file with the (async)
 * function to run. Outside an anythread worker it does nothing.
 */
export function runAsWorker<T extends AnyFn<Promise<R> | R>, R = ReturnType<T>>(fn: T): void {
  const registry = (globalThis as { [REGISTRY]?: SynckitRegistry })[REGISTRY]
  if (registry !== undefined) registry.pending = fn
}

const runtime: 'deno' | 'bun' | 'node' =
  typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : 'node'

/** The packages synckit's runners load, by the specifier it puts in `execArgv`. */
const RUNNER_PACKAGES: Readonly<Record<string, string>> = {
  'ts-node/register': 'ts-node',
  'ts-node/esm': 'ts-node',
  'esbuild-register': 'esbuild-register',
  'esbuild-register/loader': 'esbuild-register',
  'esbuild-runner/register': 'esbuild-runner',
  '@oxc-node/core/register': '@oxc-node/core',
  '@swc-node/register': '@swc-node/register',
  '@swc-node/register/esm-register': '@swc-node/register',
  '@swc-node/register/esm': '@swc-node/register',
  tsx: 'tsx',
}

/**
 * synckit's `startWorkerThread`: the function `createSyncFn` caches, without the cache and
 * the absolute-path check. The worker starts on the first call.
 */
export function startWorkerThread<T extends AnyFn, R = Awaited<ReturnType<T>>>(
  workerPath: string,
  {
    timeout = DEFAULT_TIMEOUT,
    execArgv = DEFAULT_EXEC_ARGV,
    tsRunner = DEFAULT_TS_RUNNER,
    transferList = [],
    globalShims = DEFAULT_GLOBAL_SHIMS,
  }: SynckitOptions = {},
): (...args: Parameters<T>) => R {
  const setup = setupTsRunner(workerPath, { execArgv, tsRunner })
  const { ext, isTs, tsUseEsm, jsUseEsm } = setup
  const finalPath = setup.workerPath
  const runner = setup.tsRunner
  if (/\.[cm]ts$/.test(finalPath)) {
    const tsxSupported = !tsUseEsm || TS_ESM_PARTIAL_SUPPORTED
    if (!runner) {
      if (runtime === 'node') throw new Error('No ts runner specified, ts worker path is not supported')
    } else if (
      runtime === 'node' &&
      (
        [
          TsRunner.EsbuildRegister,
          TsRunner.EsbuildRunner,
          ...(TS_ESM_PARTIAL_SUPPORTED ? [TsRunner.OXC, TsRunner.SWC] : []),
          ...(tsxSupported ? [] : [TsRunner.TSX]),
        ] as string[]
      ).includes(runner)
    ) {
      throw new Error(
        `${runner} is not supported for ${ext} files yet` +
          (tsxSupported
            ? ', you can try [tsx](https://github.com/esbuild-kit/tsx) instead'
            : MTS_SUPPORTED
              ? ', you can try [oxc](https://github.com/oxc-project/oxc-node) or [swc](https://github.com/swc-project/swc-node/tree/master/packages/register) instead'
              : ''),
      )
    }
  }
  const workerArgv = runtime === 'node' ? resolveRunnerFlags(setup.execArgv, runner, finalPath) : []
  // A TypeScript worker that is CommonJS is required, as synckit does (so `-r` hooks apply).
  const load = runtime === 'node' && isTs && !/\.mts$/.test(finalPath) && (/\.cts$/.test(finalPath) || !tsUseEsm) ? 'require' : 'import'
  const cjsWorker = isTs ? load === 'require' : !jsUseEsm
  // Shims resolve from the worker, with `require` for a CommonJS worker and `import` otherwise; one that cannot be found is left out, as synckit does.
  const shimMode = cjsWorker ? 'require' : 'import'
  const shims = (globalShims === true ? DEFAULT_GLOBAL_SHIMS_PRESET : Array.isArray(globalShims) ? globalShims : []).flatMap((shim: GlobalShim) => {
    const specifier = resolveFrom(shim.moduleName, finalPath, shimMode)
    const { moduleName: _, ...rest } = shim
    return specifier === undefined ? [] : [{ ...rest, specifier, require: shimMode === 'require' }]
  })
  if (transferList.length > 0) transferAway(transferList)

  const tsxApi = runtime === 'node' && runner === TsRunner.TSX && load === 'import' ? resolveFrom('tsx/esm/api', finalPath, 'import') : undefined
  const spec: WorkerSpec = { path: finalPath, load, shims, ...(tsxApi !== undefined && { tsxApi }) }
  const specText = JSON.stringify(spec)
  const timeoutMs = typeof timeout === 'number' && !Number.isNaN(timeout) ? Math.max(0, timeout) : undefined
  const bridge = createBridge({ backend: runtimeBackend(workerArgv), ...(timeoutMs !== undefined && { timeout: timeoutMs }) })
  // The wrapper module is embedded in the build, so a bundled app needs no file beside it.
  const wrapper = bridge.load(synckitWorker.text === undefined ? synckitWorker.file : entryDataUrl('synckit-worker', synckitWorker.text))
  return (...args: unknown[]) => {
    try {
      return wrapper.runSync('call', specText, ...args) as R
    } catch (error) {
      throw nameTheWorker(error, wrapper.url, finalPath)
    }
  }
}

/** The worker's `execArgv`: empty entries dropped, each runner package synckit would name resolved from the worker's folder (then the working directory). */
function resolveRunnerFlags(execArgv: string[], runner: string | undefined, workerPath: string): string[] {
  const argv = execArgv.filter((arg) => arg !== '')
  const resolved: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!
    resolved.push(arg)
    const next = argv[index + 1]
    const pkg = next === undefined ? undefined : RUNNER_PACKAGES[next]
    if (pkg === undefined || !(REQUIRE_FLAGS.has(arg) || LOADER_FLAGS.has(arg) || arg === IMPORT_FLAG)) continue
    const mode = REQUIRE_FLAGS.has(arg) ? 'require' : 'import'
    const found = resolveFrom(next!, workerPath, mode) ?? resolveFrom(next!, `${process.cwd()}/noop.js`, mode)
    if (found === undefined) {
      throw new Error(
        `tsRunner '${runner}' needs the package '${pkg}' ('${next}'), which cannot be found from ${workerPath} or the working directory: install it (npm install -D ${pkg})`,
      )
    }
    resolved.push(found)
    index++
  }
  return resolved
}

/** Moves `transferList` out of this thread, as synckit does when it creates the worker (its items are not reachable there either). */
function transferAway(transferList: readonly object[]): void {
  const { port1, port2 } = new MessageChannel()
  try {
    port1.postMessage(undefined, transferList as Transferable[])
  } finally {
    port1.close()
    port2.close()
  }
}

function runtimeBackend(execArgv: string[]): Backend {
  if (runtime === 'deno') return denoBackend()
  if (runtime === 'bun') return bunBackend()
  return nodeBackend(execArgv.length === 0 ? {} : { execArgv })
}

/** Errors raised about the wrapper module name the user's worker file instead. */
function nameTheWorker(error: unknown, wrapperUrl: string, workerPath: string): unknown {
  if (!(error instanceof Error)) return error
  const before = error.message
  let after = before
  if (error instanceof TimeoutError && before.includes(' timed out after ')) {
    after = `${workerPath} timed out after ${error.timeout} ms (synckit says: Internal error: Atomics.wait() failed: timed-out)`
  } else if (before.includes(wrapperUrl) || before.includes("runSync('call')")) {
    after = before
      .split(`runSync('call'): ${wrapperUrl}`)
      .join(workerPath)
      .split(`runSync('call') on ${wrapperUrl}`)
      .join(workerPath)
      .split("runSync('call')")
      .join(`the call to ${workerPath}`)
      .split(wrapperUrl)
      .join(workerPath)
  }
  if (after !== before) {
    error.message = after
    if (typeof error.stack === 'string') error.stack = error.stack.replace(before, after)
  }
  return error
}
