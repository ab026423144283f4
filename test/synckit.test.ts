/**
 * anythread/synckit against synckit: the same exports, the same worker files, the same
 * options and environment variables, the same checks at creation. Written for anythread
 * from synckit's documented behaviour and types; synckit's npm package (0.12.3) ships no
 * tests, so its suite cannot be run against this entry as published. Where anythread
 * differs on purpose (errors keep their class, failures are fast, Deno and Bun load
 * TypeScript themselves), the test says so; the README's migration section lists every
 * difference.
 *
 * synckit's repository tests, case by case (read from its source, not run here):
 * - fn.spec: 'no ext as js', 'createSyncFn' (absolute check, cache, error message, falsy
 *   reasons thrown as they are), 'subsequent executions after timeout', 'globalShims env',
 *   'globalShims options', 'globalShims resolve from the worker path' (CommonJS and ESM),
 *   'support file url', 'support file url protocol': covered below and pass. 'ts as cjs'
 *   passes with Node's type stripping (Node >= 22.6) or tsx; on Node 20 synckit's default
 *   is ts-node, which is not installed here (the test checks the error naming it).
 * - fn.spec 'timeout': passes as a substring match; the error is anythread's TimeoutError
 *   and its message also names the worker file (on purpose).
 * - fn.spec 'ts as esm', 'js as ts': only run on Node 16-18.18 (TS_ESM_PARTIAL_SUPPORTED),
 *   which anythread does not support; the same files load here through probing and tsx.
 * - fn.spec 'handling of outdated message', 'waits again when a notification arrives
 *   before its message', 'a notification that never brings a message...', 'never consumes
 *   a notification...', 'propagation of undefined timeout', 'a per-call deadline shrinks
 *   ...', 'an exhausted budget...', 'unexpected message from worker': they mock synckit's
 *   receiveMessageOnPort and Atomics calls, internals anythread does not have.
 * - ts-runner.spec: 'tsx', 'node', 'unknown ts runner' and the '.mts' refusals pass;
 *   'esbuild-register', 'esbuild-runner', 'swc' need those packages, which are not
 *   installed here: the test checks the error naming the missing package instead.
 * - worker-load-error, reliability, pnp-guard, yarn-pnp: synckit's failure guard and Yarn
 *   PnP, internals; anythread fails fast its own way (ModuleLoadError, WorkerCrashedError)
 *   and does not support PnP.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ModuleLoadError, TimeoutError, WorkerCrashedError } from '../dist/index.js'
import * as ours from '../dist/synckit.js'
import { backendName, fixture, runProgram, runtime } from './harness.ts'

const { createSyncFn, startWorkerThread } = ours
type Add = (a: number, b: unknown, mode?: string) => Promise<number>
const worker = (name: string): string => fileURLToPath(fixture(`synckit/${name}`))
const dist = (name: string): string => fileURLToPath(new URL(`../dist/${name}`, import.meta.url))
/** Node without type stripping (Node < 22.6): TypeScript workers need a runner package. */
const nodeWithoutStripping = runtime === 'node' && ours.compareNodeVersion(ours.STRIP_TYPES_NODE_VERSION) < 0

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('did not throw')
}

// The synckit entry always uses the runtime's own backend, so it runs in the runtime's own cell only.
describe.skipIf(backendName !== runtime)(`anythread/synckit against synckit on ${runtime}`, () => {
  describe('exports', () => {
    it('exports every name synckit exports, with the same constant values', async () => {
      const synckit: Record<string, unknown> = await import('synckit')
      expect(Object.keys(ours).sort()).toEqual(Object.keys(synckit).sort())
      for (const [name, value] of Object.entries(synckit)) {
        expect(typeof (ours as Record<string, unknown>)[name], name).toBe(typeof value)
        if (typeof value !== 'function') expect((ours as Record<string, unknown>)[name], name).toEqual(value)
      }
    })

    it('has synckit helpers that answer as synckit does', async () => {
      const synckit = await import('synckit')
      const error = Object.assign(new Error('boom'), { code: 'E1', details: { line: 3 } })
      const shims = [
        { moduleName: 'node:perf_hooks', globalName: 'performance', named: 'performance' },
        { moduleName: 'side-effect-only' },
        { moduleName: 'pkg', globalName: 'ns', named: null, conditional: false },
        { moduleName: '/abs/shim.js', globalName: 'dflt' },
      ]
      for (const helpers of [ours, synckit] as const) {
        expect.soft([helpers.compareVersion('1.10.0', '1.9'), helpers.compareVersion('2', '2.0.0'), helpers.compareVersion('0.9', '1')]).toEqual([1, 0, -1])
        expect.soft(helpers.parseVersion('22.6.1')).toEqual([22, 6, 1])
      }
      const pairs: Array<[string, unknown, unknown]> = [
        ['compareNodeVersion', ours.compareNodeVersion('22.6'), synckit.compareNodeVersion('22.6')],
        ['hasFlag', ours.hasFlag('--no-such-flag'), synckit.hasFlag('--no-such-flag')],
        [
          'hasRequireFlag',
          [ours.hasRequireFlag(['-r', 'x']), ours.hasRequireFlag(['--import', 'x'])],
          [synckit.hasRequireFlag(['-r', 'x']), synckit.hasRequireFlag(['--import', 'x'])],
        ],
        ['hasImportFlag', ours.hasImportFlag(['--import', 'x']), synckit.hasImportFlag(['--import', 'x'])],
        ['hasLoaderFlag', ours.hasLoaderFlag(['--experimental-loader', 'x']), synckit.hasLoaderFlag(['--experimental-loader', 'x'])],
        ['extractProperties', [ours.extractProperties(error), ours.extractProperties('x')], [synckit.extractProperties(error), synckit.extractProperties('x')]],
        ['dataUrl', ours.dataUrl('export default "a b"').href, synckit.dataUrl('export default "a b"').href],
        ['md5Hash', ours.md5Hash('anythread'), synckit.md5Hash('anythread')],
        [
          'encodeImportModule',
          shims.flatMap((shim) => [ours.encodeImportModule(shim), ours.encodeImportModule(shim, 'require')]),
          shims.flatMap((shim) => [synckit.encodeImportModule(shim), synckit.encodeImportModule(shim, 'require')]),
        ],
        ['_generateGlobals', ours._generateGlobals(shims, 'import'), (synckit as unknown as typeof ours)._generateGlobals(shims, 'import')],
        ['generateGlobals', ours.generateGlobals(worker('worker.mjs'), shims.slice(0, 1)), synckit.generateGlobals(worker('worker.mjs'), shims.slice(0, 1))],
        [
          'isFile',
          [ours.isFile(worker('worker.mjs')), ours.isFile(worker('')), ours.isFile(worker('nope'))],
          [synckit.isFile(worker('worker.mjs')), synckit.isFile(worker('')), synckit.isFile(worker('nope'))],
        ],
      ]
      for (const [name, got, expected] of pairs) expect.soft(got, name).toEqual(expected)
    })

    it.skipIf(runtime !== 'node')(
      'setupTsRunner probes extensions and picks runners as synckit does (Node)',
      async () => {
        const synckit = await import('synckit')
        const cases: Array<[string, { tsRunner?: ours.TsRunner; execArgv?: string[] }]> = [
          [worker('worker-js'), {}],
          [worker('worker.mjs'), {}],
          [worker('worker.cjs'), {}],
          [worker('worker-ts.js'), { tsRunner: 'tsx' }],
          [worker('worker-cts.cjs'), { tsRunner: 'esbuild-register' }],
          [worker('worker-mts.mjs'), { tsRunner: 'swc', execArgv: ['--no-deprecation'] }],
          [worker('worker-ts'), { tsRunner: 'ts-node' }],
        ]
        for (const [path, options] of cases) expect.soft(ours.setupTsRunner(path, options), path).toEqual(synckit.setupTsRunner(path, options))
        for (const tsRunner of ['node', 'unknown'] as ours.TsRunner[]) {
          const outcome = (setup: typeof ours.setupTsRunner) => {
            try {
              return setup(worker('worker-ts.ts'), { tsRunner }).execArgv
            } catch (error) {
              return String(error)
            }
          }
          expect(outcome(ours.setupTsRunner)).toEqual(outcome(synckit.setupTsRunner))
        }
      },
      30_000,
    )
  })

  describe('createSyncFn', () => {
    it('runs a runAsWorker file from an absolute path, a file URL or a file URL string, one function per path', () => {
      const fromPath = createSyncFn<Add>(worker('worker.mjs'))
      expect(fromPath(1, 2)).toBe(3)
      expect(createSyncFn<Add>(fixture('synckit/worker.mjs'))).toBe(fromPath)
      expect(createSyncFn<Add>(fixture('synckit/worker.mjs').href)).toBe(fromPath)
      expect(fromPath(40, 2)).toBe(42)
    })

    it('tries .ts then .js for a path without an extension, and loads CommonJS workers', () => {
      expect(createSyncFn(worker('worker-js'))(1, 2)).toBe('js:3')
      expect(createSyncFn(worker('worker.cjs'))(1, 2)).toBe('cjs:3')
    })

    it('does not await the namespace of a worker file that exports then', () => {
      expect(createSyncFn(worker('worker-then.mjs'))(1, 2)).toBe('then:3')
    })

    it("checks its argument at creation with synckit's errors", () => {
      expect(() => createSyncFn('./fake')).toThrow('`workerPath` must be absolute')
      const scheme = thrown(() => createSyncFn(new URL('https://example.com/worker.js')))
      expect(scheme).toBeInstanceOf(TypeError)
      expect(scheme).toHaveProperty('message', expect.stringContaining('The URL must be of scheme file'))
      expect(() => createSyncFn(worker('worker-ts.ts'), { tsRunner: 'unknown' as ours.TsRunner })).toThrow('Unknown ts runner: unknown')
    })

    it('throws the worker error with its class and properties (synckit keeps the properties only), and non-Error reasons as they are', () => {
      const add = createSyncFn<Add>(worker('worker.mjs'))
      const error = thrown(() => add(7, 'x', 'throw'))
      expect(error).toBeInstanceOf(RangeError)
      expect(error).toMatchObject({ message: 'bad 7', code: 'E_BAD', extra: ['x'] })
      // eslint-mdx reads line and column off the error: on Bun they are hidden own properties, which structured clone keeps.
      expect(thrown(() => add(3, 22, 'position'))).toMatchObject({ line: 3, column: 22 })
      for (const reason of [undefined, null, 0, '', false, Number.NaN, 'plain']) {
        expect(thrown(() => add(0, reason, 'reason'))).toBe(reason)
      }
    })

    it('fails fast for a missing file, a broken one, or one that never calls runAsWorker (synckit reports these too; anythread as ModuleLoadError)', () => {
      expect(() => createSyncFn(worker('no-such-worker.mjs'))()).toThrow(ModuleLoadError)
      expect(() => createSyncFn(fileURLToPath(fixture('syntax-error.js')))()).toThrow(ModuleLoadError)
      expect(() => createSyncFn(fileURLToPath(fixture('not-a-synckit-worker.mjs')))()).toThrow(/runAsWorker/)
    })
  })

  it('fails a call whose worker exits with WorkerCrashedError naming the worker file; the next call works', () => {
    const add = startWorkerThread<Add>(worker('worker.mjs'))
    const error = thrown(() => add(0, 3, 'exit'))
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error as Error).message).toContain(worker('worker.mjs'))
    expect((error as Error).message).not.toContain('synckit-worker')
    expect(add(1, 2)).toBe(3)
  })

  describe('options', () => {
    it('times out with TimeoutError naming the worker file; the next call works', () => {
      // A deadline that a busy machine cannot make the next (quick) call miss.
      const add = startWorkerThread<Add>(worker('worker.mjs'), { timeout: 1_000 })
      const error = thrown(() => add(1, 10_000, 'sleep'))
      expect(error).toBeInstanceOf(TimeoutError)
      expect((error as Error).message).toContain(worker('worker.mjs'))
      expect((error as Error).message).toContain('Atomics.wait() failed: timed-out')
      expect((error as Error).message).not.toContain('synckit-worker')
      expect(add(1, 2)).toBe(3)
      expect(createSyncFn<Add>(worker('worker-js.js'), 5_000)(1, 1)).toBe('js:2')
    })

    it('transfers transferList when the worker is created, as synckit does', () => {
      const buffer = new ArrayBuffer(16)
      const add = startWorkerThread<Add>(worker('worker.mjs'), { transferList: [buffer] })
      expect(buffer.byteLength).toBe(0)
      expect(add(1, 2)).toBe(3)
      expect(() => startWorkerThread(worker('worker.mjs'), { transferList: [{} as ArrayBuffer] })).toThrow()
    })

    it('installs globalShims resolved from the worker folder, and leaves out those it cannot find', () => {
      const dir = mkdtempSync(join(tmpdir(), 'anythread-synckit-shims-'))
      try {
        const shim = (name: string, pkg: object, source: string) => {
          mkdirSync(join(dir, 'node_modules', name), { recursive: true })
          writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...pkg }))
          writeFileSync(join(dir, 'node_modules', name, 'index.js'), source)
        }
        shim('cjs-shim', { main: 'index.js' }, 'module.exports = { shimmed: "cjs" }\n')
        shim('esm-shim', { type: 'module', exports: { '.': { import: './index.js' } } }, 'export default { shimmed: "esm" }\nexport const named = "named"\n')
        writeFileSync(
          join(dir, 'worker.cjs'),
          `const { runAsWorker } = require(${JSON.stringify(dist('synckit.cjs'))})\nrunAsWorker(() => [globalThis.__probe?.shimmed, typeof globalThis.__missing])\n`,
        )
        writeFileSync(
          join(dir, 'worker.mjs'),
          `import { runAsWorker } from ${JSON.stringify(pathToFileURL(dist('synckit.js')).href)}\nrunAsWorker(() => [globalThis.__probe?.shimmed, globalThis.__named, typeof globalThis.__missing])\n`,
        )
        const missing = { moduleName: 'not-installed-shim', globalName: '__missing' }
        expect(createSyncFn(join(dir, 'worker.cjs'), { globalShims: [{ moduleName: 'cjs-shim', globalName: '__probe' }, missing] })()).toEqual([
          'cjs',
          'undefined',
        ])
        expect(
          createSyncFn(join(dir, 'worker.mjs'), {
            globalShims: [{ moduleName: 'esm-shim', globalName: '__probe' }, { moduleName: 'esm-shim', globalName: '__named', named: 'named' }, missing],
          })(),
        ).toEqual(['esm', 'named', 'undefined'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('reads SYNCKIT_TIMEOUT, SYNCKIT_EXEC_ARGV, SYNCKIT_TS_RUNNER and SYNCKIT_GLOBAL_SHIMS', () => {
      const result = runProgram('synckit/env-host.mjs', 20_000, {
        SYNCKIT_TIMEOUT: '300',
        SYNCKIT_EXEC_ARGV: '--no-deprecation,--no-warnings',
        SYNCKIT_TS_RUNNER: 'unknown',
        SYNCKIT_GLOBAL_SHIMS: 'true',
      })
      expect(result.status, result.stderr).toBe(0)
      const report = JSON.parse(result.stdout.trim().split('\n').pop()!)
      expect(report).toMatchObject({
        DEFAULT_TIMEOUT: 300,
        DEFAULT_EXEC_ARGV: ['--no-deprecation', '--no-warnings'],
        DEFAULT_TS_RUNNER: 'unknown',
        DEFAULT_GLOBAL_SHIMS: true,
        quick: { value: { performance: 'object' } },
        slow: { error: 'TimeoutError' },
        ts: { error: 'Error', message: 'Unknown ts runner: unknown' },
      })
      // execArgv exists only for node:worker_threads workers: Deno's and Bun's own workers have none.
      if (runtime === 'node') expect(report.quick.value.execArgv).toEqual(['--no-deprecation', '--no-warnings'])
    })
  })

  describe('TypeScript workers (tsRunner)', () => {
    it('loads a .ts worker with the default runner (Node >= 22.6 strips types; Deno and Bun load it themselves)', () => {
      if (nodeWithoutStripping) {
        expect(() => createSyncFn(worker('worker-ts.ts'))).toThrow('Unknown ts runner: undefined')
        expect(() => createSyncFn(worker('worker-ts.ts'), { tsRunner: 'node' })).toThrow('type stripping is not supported in this node version')
      } else {
        expect(createSyncFn(worker('worker-ts.ts'))(1, 2)).toBe('ts:3')
        expect(startWorkerThread(worker('worker-ts.js'), { tsRunner: 'node' })(2, 2)).toBe('ts:4')
        expect(startWorkerThread(worker('worker-cts.cjs'), { tsRunner: 'node' })(2, 3)).toBe('cts:5')
      }
    })

    it('loads .ts and .cts workers with the tsx runner (resolved from the worker folder)', () => {
      expect(startWorkerThread(worker('worker-ts.ts'), { tsRunner: 'tsx' })(3, 4)).toBe('ts:7')
      expect(startWorkerThread(worker('worker-cts.cts'), { tsRunner: 'tsx' })(3, 5)).toBe('cts:8')
    }, 30_000)

    it.skipIf(runtime !== 'node')('names a runner package that is not installed, and refuses what synckit refuses (Node)', () => {
      expect(() => startWorkerThread(worker('worker-ts.ts'), { tsRunner: 'swc' })).toThrow("needs the package '@swc-node/register'")
      expect(() => startWorkerThread(worker('worker-cts.cts'), { tsRunner: 'ts-node' })).toThrow("needs the package 'ts-node'")
      expect(() => startWorkerThread(worker('worker-mts.mts'), { tsRunner: 'esbuild-register' })).toThrow(
        'esbuild-register is not supported for .mts files yet',
      )
    })
  })
})
