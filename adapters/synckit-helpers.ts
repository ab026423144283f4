/**
 * The constants and helpers synckit's public entry exports, written here for
 * `anythread/synckit` (synckit is no dependency of anythread). Each has synckit's name,
 * signature and result; where one does something anythread does differently (the worker it
 * starts), its comment says so. Host side only.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, isAbsolute, join, resolve as resolvePath } from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'

// ---------------------------------------------------------------------------------------
// Types (synckit's `types.ts`)

// biome-ignore lint: synckit's own signature.
export type AnyFn<R = any, T extends any[] = any[]> = (...args: T) => R

/** A function made synchronous: same parameters, the awaited return value. */
export type Syncify<T extends AnyFn> = (...args: Parameters<T>) => Awaited<ReturnType<T>>

export type ValueOf<T> = T[keyof T]

/** The encodings a stream chunk can carry (Node's `BufferEncoding`). */
export type StdioEncoding = 'ascii' | 'utf8' | 'utf-8' | 'utf16le' | 'utf-16le' | 'ucs2' | 'ucs-2' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'hex'

export interface MainToWorkerMessage<T extends unknown[]> {
  id: number
  args: T
}

export interface MainToWorkerCommandMessage {
  id: number
  cmd: string
}

/** synckit's worker data. anythread's workers carry their own; kept for code that names the type. */
export interface WorkerData {
  sharedBufferView: Int32Array
  workerPort: import('node:worker_threads').MessagePort
  pnpLoaderPath: string | undefined
}

export type DataMessage<T> = { error: unknown; properties?: object } | { result: T }

export interface StdioChunk {
  type: 'stderr' | 'stdout'
  chunk: Uint8Array | string
  encoding: StdioEncoding
}

export type WorkerToMainMessage<T> = DataMessage<T> & { id: number; stdio: StdioChunk[] }

export interface WorkerFailureMessage {
  workerFailure: true
  fatal: boolean
  error: unknown
  properties?: object
}

/** A module imported in the worker before the worker file, optionally put on `globalThis`. */
export interface GlobalShim {
  moduleName: string
  /** `undefined`: imported for its side effects only. */
  globalName?: string
  /** `undefined` or `''`: the default export; `null`: the namespace; otherwise that named export. */
  named?: string | null
  /** Unless `false`, the global is set only when `globalThis[globalName]` is not there yet. */
  conditional?: boolean
}

export interface PackageJson {
  type?: 'commonjs' | 'module'
}

/** synckit's options, all honoured. */
export interface SynckitOptions {
  /** Node CLI flags of the worker (Node only). Default: `SYNCKIT_EXEC_ARGV`, split on commas. */
  execArgv?: string[]
  /** Modules imported before the worker file; `true`: {@link DEFAULT_GLOBAL_SHIMS_PRESET}. Default: `SYNCKIT_GLOBAL_SHIMS`. */
  globalShims?: GlobalShim[] | boolean
  /** Deadline of each call in milliseconds (`TimeoutError`). Default: `SYNCKIT_TIMEOUT`. */
  timeout?: number
  /**
   * Transferables (ArrayBuffers, MessagePorts, ...) moved to the worker when it is created,
   * as synckit does (they are detached here). Typed loosely so the declarations need no DOM lib.
   */
  transferList?: object[]
  /** How a TypeScript worker is loaded on Node. Default: `SYNCKIT_TS_RUNNER`, else as synckit picks. */
  tsRunner?: TsRunner
}

// ---------------------------------------------------------------------------------------
// Versions and flags (synckit's `common.ts` and `shared.cjs`)

/** The Node version the running runtime reports (Deno and Bun report the one they emulate). */
export const NODE_VERSION: string = process.versions.node ?? '0.0.0'

/** Splits a version into its numeric parts. */
export const parseVersion = (version: string): number[] => version.split('.').map((part) => Number.parseFloat(part))

/** `1`, `0` or `-1` as `version1` is greater than, equal to or less than `version2`. */
export const compareVersion = (version1: string, version2: string): number => {
  const left = parseVersion(version1)
  const right = parseVersion(version2)
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const a = left[index] || 0
    const b = right[index] || 0
    if (a !== b) return a > b ? 1 : -1
  }
  return 0
}

/** Compares the running Node version with `version`. */
export const compareNodeVersion = (version: string): number => compareVersion(NODE_VERSION, version)

/** Splits `NODE_OPTIONS` as Node reads it: on spaces, except inside double quotes (removed), `\` escaping inside them. */
function splitNodeOptions(value: string): string[] {
  const args: string[] = []
  let current = ''
  let quoted = false
  let escaped = false
  for (const char of value) {
    if (escaped) {
      escaped = false
      current += char
    } else if (quoted && char === '\\') escaped = true
    else if (char === '"') quoted = !quoted
    else if (!quoted && char === ' ') {
      if (current) args.push(current)
      current = ''
    } else current += char
  }
  if (current) args.push(current)
  return args
}

/** The `NODE_OPTIONS` of this process, split as Node reads it. */
export const NODE_OPTIONS: string[] = splitNodeOptions(process.env.NODE_OPTIONS ?? '')

const unquote = (value: string): string =>
  value.length > 1 && (value.startsWith('"') || value.startsWith("'")) && value.endsWith(value[0]!) ? value.slice(1, -1) : value

/** Every value `flag` carries in `NODE_OPTIONS`, this process's `execArgv` and `execArgv`, in order; `''` for a flag without one. */
function flagValues(flag: Set<string> | string, execArgv: readonly string[]): string[] {
  const names = typeof flag === 'string' ? new Set([flag]) : flag
  const args = [...NODE_OPTIONS, ...(process.execArgv ?? []), ...execArgv]
  const values: string[] = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    const equals = arg.indexOf('=')
    if (!names.has(equals === -1 ? arg : arg.slice(0, equals))) continue
    if (equals !== -1) {
      values.push(unquote(arg.slice(equals + 1)))
      continue
    }
    const next = args[index + 1]
    if (next !== undefined && !next.startsWith('-')) {
      values.push(unquote(next))
      index++
    } else values.push('')
  }
  return values
}

/** The last value of `flag` (optionally only `accepted`), `''` when set without one, `undefined` when unset. */
function getFlag(flag: Set<string> | string, accepted?: string, execArgv: readonly string[] = []): string | undefined {
  const values = flagValues(flag, execArgv)
  for (let index = values.length - 1; index >= 0; index--) {
    if (accepted == null || values[index] === accepted) return values[index]
  }
  return undefined
}

/** Whether Node applies `flag` to this process (from its `execArgv` or `NODE_OPTIONS`). */
export const hasFlag = (flag: string): boolean => getFlag(flag) != null

// ---------------------------------------------------------------------------------------
// Constants (synckit's `constants.ts`)

export const TsRunner = {
  Node: 'node',
  Bun: 'bun',
  TsNode: 'ts-node',
  EsbuildRegister: 'esbuild-register',
  EsbuildRunner: 'esbuild-runner',
  OXC: 'oxc',
  SWC: 'swc',
  TSX: 'tsx',
} as const

export type TsRunner = ValueOf<typeof TsRunner>

const { SYNCKIT_EXEC_ARGV = '', SYNCKIT_GLOBAL_SHIMS, SYNCKIT_TIMEOUT, SYNCKIT_TS_RUNNER } = process.env

export const TS_ESM_PARTIAL_SUPPORTED: boolean = compareNodeVersion('16') >= 0 && compareNodeVersion('18.19') < 0
export const MTS_SUPPORTED: boolean = compareNodeVersion('20.8') >= 0
export const MODULE_REGISTER_SUPPORTED: boolean = MTS_SUPPORTED || compareNodeVersion('18.19') >= 0
export const STRIP_TYPES_NODE_VERSION = '22.6'
export const TRANSFORM_TYPES_NODE_VERSION = '22.7'
export const FEATURE_TYPESCRIPT_NODE_VERSION = '22.10'
export const DEFAULT_TYPES_NODE_VERSION = '23.6'
export const STRIP_TYPES_FLAG = '--experimental-strip-types'
export const TRANSFORM_TYPES_FLAG = '--experimental-transform-types'
export const NO_STRIP_TYPES_FLAG = '--no-experimental-strip-types'
export const NO_STRIP_TYPES: boolean =
  hasFlag(NO_STRIP_TYPES_FLAG) &&
  (compareNodeVersion(FEATURE_TYPESCRIPT_NODE_VERSION) >= 0
    ? (process as { features?: { typescript?: unknown } }).features?.typescript === false
    : !hasFlag(STRIP_TYPES_FLAG) && !hasFlag(TRANSFORM_TYPES_FLAG))
/** `SYNCKIT_TIMEOUT` as a number, read when this module loads. */
export const DEFAULT_TIMEOUT: number | undefined = SYNCKIT_TIMEOUT ? +SYNCKIT_TIMEOUT : undefined
/** `SYNCKIT_EXEC_ARGV` split on commas (`['']` when unset, as in synckit; empty entries are not passed on). */
export const DEFAULT_EXEC_ARGV: string[] = SYNCKIT_EXEC_ARGV.split(',')
export const DEFAULT_TS_RUNNER: TsRunner | undefined = SYNCKIT_TS_RUNNER as TsRunner | undefined
export const DEFAULT_GLOBAL_SHIMS: boolean = ['1', 'true'].includes(SYNCKIT_GLOBAL_SHIMS!)
export const DEFAULT_GLOBAL_SHIMS_PRESET: GlobalShim[] = [
  { moduleName: 'node-fetch-native', globalName: 'fetch', named: 'fetch' },
  { moduleName: 'node:perf_hooks', globalName: 'performance', named: 'performance' },
]
export const IMPORT_FLAG = '--import'
export const REQUIRE_FLAG = '--require'
export const REQUIRE_ABBR_FLAG = '-r'
export const REQUIRE_FLAGS: Set<string> = new Set([REQUIRE_FLAG, REQUIRE_ABBR_FLAG])
export const LOADER_FLAG = '--loader'
export const EXPERIMENTAL_LOADER_FLAG = '--experimental-loader'
export const LOADER_FLAGS: Set<string> = new Set([LOADER_FLAG, EXPERIMENTAL_LOADER_FLAG])
export const IMPORT_FLAG_SUPPORTED: boolean = compareNodeVersion('20.6') >= 0

// ---------------------------------------------------------------------------------------
// Helpers (synckit's `helpers.ts`)

/** Whether `path` is an existing file. */
export const isFile = (path: string): boolean => {
  try {
    return !!statSync(path, { throwIfNoEntry: false })?.isFile()
  } catch {
    return false
  }
}

/** A `data:` URL of JavaScript source. */
export const dataUrl = (code: string): URL => new URL(`data:text/javascript,${encodeURIComponent(code)}`)

/**
 * A copy of an object's enumerable properties (own and inherited), or `undefined` for a
 * non-object: what a synckit worker uses to send an error's extra properties.
 */
export const extractProperties = (object?: unknown): object | undefined => {
  if (object && typeof object === 'object') {
    const properties: Record<string, unknown> = {}
    for (const key in object) properties[key] = (object as Record<string, unknown>)[key]
    return properties
  }
  return undefined
}

export const hasRequireFlag = (execArgv: string[]): boolean => execArgv.some((arg) => REQUIRE_FLAGS.has(arg))
export const hasImportFlag = (execArgv: string[]): boolean => execArgv.includes(IMPORT_FLAG)
export const hasLoaderFlag = (execArgv: string[]): boolean => execArgv.some((arg) => LOADER_FLAGS.has(arg))

export const md5Hash = (text: string): string => createHash('md5').update(text).digest('hex')

/** The first of `base + extension` that is a file (then `base` itself), or `''`. */
function tryExtensions(base: string, extensions: readonly string[]): string {
  for (const extension of [...extensions, '']) if (isFile(base + extension)) return base + extension
  return ''
}

/** The nearest `package.json` above `path`, or `''`. */
function findPackageJson(path: string): string {
  let directory = dirname(path)
  for (;;) {
    const candidate = join(directory, 'package.json')
    if (isFile(candidate)) return candidate
    const parent = dirname(directory)
    if (parent === directory) return ''
    directory = parent
  }
}

/** Whether the nearest `package.json` says `"type": "module"`. */
function nearestTypeIsModule(path: string): boolean {
  const pkg = findPackageJson(path)
  if (!pkg) return false
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as PackageJson).type === 'module'
  } catch {
    return false
  }
}

const runtimeLoadsTypeScript = (): boolean => {
  const versions = process.versions as { bun?: string; deno?: string }
  return versions.bun !== undefined || versions.deno !== undefined || typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined'
}

/** Where a runner's package is looked for when `setupTsRunner` defaults to ts-node, as synckit does (from the working directory). */
const isPkgAvailable = (pkg: string, from: string = join(process.cwd(), 'noop.js')): boolean => {
  try {
    createRequire(from).resolve(pkg)
    return true
  } catch {
    return false
  }
}

/**
 * synckit's worker-path and TypeScript-runner setup: finds the file a path without an
 * extension (or with `.js`, `.mjs`, `.cjs`) means, trying the TypeScript extension first
 * (`.ts`/`.js`, `.mts`/`.mjs`, `.cts`/`.cjs`) outside `node_modules`; tells whether it is
 * TypeScript and ESM; picks the default runner (Bun's own on Bun, Node's type stripping from
 * Node 22.6, else `ts-node` when installed); and adds the runner's flags to `execArgv`
 * (bare package specifiers, as synckit does; `createSyncFn` resolves them from the worker's
 * folder). Throws synckit's errors: `Unknown ts runner: <name>`, `type stripping is not
 * supported in this node version`, `type stripping is disabled explicitly`.
 *
 * On Deno, which loads TypeScript itself, a missing runner is not an error.
 * Yarn PnP is not handled: `pnpApiPath` and `pnpLoaderPath` are always `undefined`.
 */
export const setupTsRunner = (
  workerPath: string,
  { execArgv = DEFAULT_EXEC_ARGV, tsRunner }: { execArgv?: string[]; tsRunner?: TsRunner } = {},
): {
  ext: string
  isTs: boolean
  jsUseEsm: boolean
  tsRunner: TsRunner | undefined
  tsUseEsm: boolean
  workerPath: string
  pnpApiPath: string | undefined
  pnpLoaderPath: string | undefined
  execArgv: string[]
} => {
  let ext = extname(workerPath)
  if (!/([/\\])node_modules\1/.test(workerPath) && (!ext || /^\.[cm]?js$/.test(ext))) {
    const withoutExt = ext ? workerPath.slice(0, -ext.length) : workerPath
    const extensions = ext === '.cjs' ? ['.cts', '.cjs'] : ext === '.mjs' ? ['.mts', '.mjs'] : ['.ts', '.js']
    const found = tryExtensions(withoutExt, extensions)
    // As synckit: a path without an extension takes the file found and keeps `ext` empty.
    if (found && !ext) workerPath = found
    else if (found && found !== withoutExt) {
      workerPath = found
      ext = extname(found)
    }
  }
  const isTs = /\.[cm]?ts$/.test(workerPath)
  let jsUseEsm = ext === '.mjs'
  let tsUseEsm = ext === '.mts'
  if (isTs) {
    if (!tsUseEsm && ext !== '.cts') tsUseEsm = nearestTypeIsModule(workerPath)
    const strip = execArgv.indexOf(STRIP_TYPES_FLAG)
    const transform = execArgv.indexOf(TRANSFORM_TYPES_FLAG)
    const noStrip = execArgv.indexOf(NO_STRIP_TYPES_FLAG)
    const noStripTypes = noStrip > strip || noStrip > transform || (strip === -1 && transform === -1 && NO_STRIP_TYPES)
    if (tsRunner == null) {
      if ((process.versions as { bun?: string }).bun) tsRunner = TsRunner.Bun
      else if (!noStripTypes && compareNodeVersion(STRIP_TYPES_NODE_VERSION) >= 0) tsRunner = TsRunner.Node
      else if (isPkgAvailable(TsRunner.TsNode)) tsRunner = TsRunner.TsNode
    }
    switch (tsRunner) {
      case TsRunner.Bun:
        break
      case TsRunner.Node:
        if (compareNodeVersion(STRIP_TYPES_NODE_VERSION) < 0) throw new Error('type stripping is not supported in this node version')
        if (noStripTypes) throw new Error('type stripping is disabled explicitly')
        if (compareNodeVersion(DEFAULT_TYPES_NODE_VERSION) >= 0) break
        if (compareNodeVersion(TRANSFORM_TYPES_NODE_VERSION) >= 0) {
          if (!execArgv.includes(TRANSFORM_TYPES_FLAG)) execArgv = [TRANSFORM_TYPES_FLAG, ...execArgv]
        } else if (!execArgv.includes(STRIP_TYPES_FLAG)) execArgv = [STRIP_TYPES_FLAG, ...execArgv]
        break
      case TsRunner.TsNode:
        if (tsUseEsm) {
          if (!execArgv.includes(LOADER_FLAG)) execArgv = [LOADER_FLAG, 'ts-node/esm', ...execArgv]
        } else if (!hasRequireFlag(execArgv)) execArgv = [REQUIRE_ABBR_FLAG, 'ts-node/register', ...execArgv]
        break
      case TsRunner.EsbuildRegister:
        if (tsUseEsm) {
          if (!hasLoaderFlag(execArgv)) execArgv = [LOADER_FLAG, 'esbuild-register/loader', ...execArgv]
        } else if (!hasRequireFlag(execArgv)) execArgv = [REQUIRE_ABBR_FLAG, 'esbuild-register', ...execArgv]
        break
      case TsRunner.EsbuildRunner:
        if (!hasRequireFlag(execArgv)) execArgv = [REQUIRE_ABBR_FLAG, 'esbuild-runner/register', ...execArgv]
        break
      case TsRunner.OXC:
        if (!execArgv.includes(IMPORT_FLAG)) execArgv = [IMPORT_FLAG, '@oxc-node/core/register', ...execArgv]
        break
      case TsRunner.SWC:
        if (tsUseEsm) {
          if (IMPORT_FLAG_SUPPORTED) {
            if (!hasImportFlag(execArgv)) execArgv = [IMPORT_FLAG, '@swc-node/register/esm-register', ...execArgv]
          } else if (!hasLoaderFlag(execArgv)) execArgv = [LOADER_FLAG, '@swc-node/register/esm', ...execArgv]
        } else if (!hasRequireFlag(execArgv)) execArgv = [REQUIRE_ABBR_FLAG, '@swc-node/register', ...execArgv]
        break
      case TsRunner.TSX:
        if (IMPORT_FLAG_SUPPORTED) {
          if (!execArgv.includes(IMPORT_FLAG)) execArgv = [IMPORT_FLAG, 'tsx', ...execArgv]
        } else if (!execArgv.includes(LOADER_FLAG)) execArgv = [LOADER_FLAG, 'tsx', ...execArgv]
        break
      default:
        if (tsRunner == null && runtimeLoadsTypeScript()) break
        throw new Error(
          `Unknown ts runner: ${String(tsRunner)}` +
            (tsRunner == null
              ? ` (${workerPath} is TypeScript, Node ${NODE_VERSION} ${compareNodeVersion(STRIP_TYPES_NODE_VERSION) < 0 ? 'cannot strip types' : 'has type stripping disabled'} and ts-node is not installed: pass tsRunner, e.g. 'tsx', with that package installed)`
              : ''),
        )
    }
  } else if (!jsUseEsm && ext !== '.cjs') jsUseEsm = nearestTypeIsModule(workerPath)
  return { ext, isTs, jsUseEsm, tsRunner, tsUseEsm, workerPath, pnpApiPath: undefined, pnpLoaderPath: undefined, execArgv }
}

/** One import (or require) statement for a shim, and the assignment to its global. */
export const encodeImportModule = (moduleNameOrGlobalShim: GlobalShim | string, type: 'import' | 'require' = 'import'): string => {
  const { moduleName, globalName, named, conditional } =
    typeof moduleNameOrGlobalShim === 'string' ? ({ moduleName: moduleNameOrGlobalShim } as GlobalShim) : moduleNameOrGlobalShim
  const binding = named === null ? `* as ${globalName}` : named?.trim() ? `{${named}}` : globalName
  const statement =
    type === 'import'
      ? `import${globalName ? ` ${binding} from` : ''} ${JSON.stringify(isAbsolute(moduleName) ? pathToFileURL(moduleName) : moduleName)}`
      : `${globalName ? `const ${named?.trim() ? `{${named}}` : globalName}=` : ''}require(${JSON.stringify(moduleName)})`
  if (!globalName) return statement
  const assign = `globalThis.${globalName}=${named?.trim() ? named : globalName}`
  return `${statement}${conditional === false ? `;${assign}` : `;if(!globalThis.${globalName})${assign}`}`
}

/** The shims' statements joined with `;`, module names as given. */
export const _generateGlobals = (globalShims: GlobalShim[], type: 'import' | 'require'): string =>
  globalShims.map((shim) => encodeImportModule(shim, type)).join(';')

/**
 * The source that installs `globalShims` in a worker at `workerPath`: `require` statements,
 * or `import` statements whose specifiers are resolved from the worker (with the `import`
 * conditions), so they work from a `data:` module. Throws when a shim cannot be resolved.
 */
export const generateGlobals = (workerPath: string, globalShims: GlobalShim[], type: 'import' | 'require' = 'import', _execArgv: string[] = []): string => {
  if (globalShims.length === 0) return ''
  if (type === 'require') return _generateGlobals(globalShims, 'require')
  return _generateGlobals(
    globalShims.map((shim) => {
      const url = resolveFrom(shim.moduleName, workerPath, 'import')
      if (url === undefined)
        throw Object.assign(new Error(`Cannot find package '${shim.moduleName}' imported from ${workerPath}`), { code: 'ERR_MODULE_NOT_FOUND' })
      return { ...shim, moduleName: url }
    }),
    'import',
  )
}

/**
 * synckit's stdio capture for a worker: makes `process.stdout`/`process.stderr` push their
 * chunks to `stdio` instead of writing them. anythread's workers do not need it (their
 * output is written in order before each call returns); it is here for code that calls it.
 */
export const overrideStdio = (stdio: StdioChunk[]): void => {
  for (const type of ['stdout', 'stderr'] as const) {
    ;(process[type] as unknown as { _writev: unknown })._writev = (
      chunks: Array<{ chunk: Uint8Array | string; encoding: StdioEncoding }>,
      callback: () => void,
    ) => {
      for (const { chunk, encoding } of chunks) stdio.push({ type, chunk, encoding })
      callback()
    }
  }
}

// ---------------------------------------------------------------------------------------
// Resolution of runner and shim packages from the worker's folder

type Exports = string | null | Exports[] | { [key: string]: Exports }

/** Picks the target of an `exports` entry for `conditions`. */
function pickTarget(target: Exports, conditions: readonly string[]): string | undefined {
  if (typeof target === 'string') return target
  if (Array.isArray(target)) {
    for (const item of target) {
      const picked = pickTarget(item, conditions)
      if (picked !== undefined) return picked
    }
    return undefined
  }
  if (target === null || typeof target !== 'object') return undefined
  for (const [key, value] of Object.entries(target)) {
    if (key === 'default' || conditions.includes(key)) {
      const picked = pickTarget(value, conditions)
      if (picked !== undefined) return picked
    }
  }
  return undefined
}

/** The file a bare `specifier` (package or package/subpath) means from `fromFile`, by the package's `exports` (else `main`, else the subpath). */
function resolveBare(specifier: string, fromFile: string, mode: 'import' | 'require'): string | undefined {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
  const subpath = `.${specifier.slice(name.length)}`
  let directory = dirname(fromFile)
  for (;;) {
    const root = join(directory, 'node_modules', name)
    const manifest = join(root, 'package.json')
    if (isFile(manifest)) {
      let pkg: { exports?: Exports; main?: string }
      try {
        pkg = JSON.parse(readFileSync(manifest, 'utf8'))
      } catch {
        return undefined
      }
      const conditions = mode === 'import' ? ['node', 'import', 'module-sync'] : ['node', 'require', 'module-sync']
      if (pkg.exports !== undefined && pkg.exports !== null) {
        const exportsMap =
          typeof pkg.exports === 'object' && !Array.isArray(pkg.exports) && Object.keys(pkg.exports).some((key) => key.startsWith('.'))
            ? pkg.exports
            : { '.': pkg.exports }
        const target = pickTarget((exportsMap as Record<string, Exports>)[subpath] ?? null, conditions)
        if (target === undefined) return undefined
        const file = resolvePath(root, target)
        return isFile(file) ? file : undefined
      }
      if (subpath === '.') {
        const main = tryExtensions(resolvePath(root, pkg.main ?? 'index'), ['', '.js', '.json', '/index.js'])
        return main || undefined
      }
      const file = tryExtensions(resolvePath(root, subpath), ['.js', '.json', '/index.js'])
      return file || undefined
    }
    const parent = dirname(directory)
    if (parent === directory) return undefined
    directory = parent
  }
}

/**
 * What `specifier` means from `fromFile`: a `node:` builtin or an absolute path as given (as
 * a file URL for `import`), a package by its `exports`; `undefined` when it cannot be found.
 * CommonJS resolution defers to Node's own `require.resolve`.
 */
export function resolveFrom(specifier: string, fromFile: string, mode: 'import' | 'require'): string | undefined {
  if (specifier.startsWith('node:')) return specifier
  if (isAbsolute(specifier)) return mode === 'import' ? pathToFileURL(specifier).href : specifier
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return specifier
  if (mode === 'require') {
    try {
      return createRequire(fromFile).resolve(specifier)
    } catch {
      return undefined
    }
  }
  if (specifier.startsWith('.')) {
    const file = resolvePath(dirname(fromFile), specifier)
    return isFile(file) ? pathToFileURL(file).href : undefined
  }
  try {
    // Builtins without the prefix (`fs`) resolve to themselves.
    if (createRequire(fromFile).resolve(specifier) === specifier) return `node:${specifier}`
  } catch {}
  const file = resolveBare(specifier, fromFile, 'import')
  return file === undefined ? undefined : pathToFileURL(file).href
}
