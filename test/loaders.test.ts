/**
 * Loaders and resolution flags given to the host (`--conditions`, `--import`, `NODE_OPTIONS`)
 * reaching worker threads, and the TypeScript loader path for `load()` on Node 20. What is
 * promised, per runtime and Node version, is in the README ("Loaders and TypeScript").
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createBridge } from '../dist/index.js'
import type { Bridge } from '../dist/index.js'
import { backendName, cell, fixture, makeBackend, runtime } from './harness.ts'

declare const Deno: { execPath(): string } | undefined

const open: Bridge[] = []
afterEach(() => {
  for (const bridge of open.splice(0)) bridge.close()
})

const host = fileURLToPath(fixture('loaders/host.mjs'))
const registerTsx = fixture('loaders/register-tsx.mjs').href
const onNode = runtime === 'node' && backendName === 'node'
const nodeMajor = runtime === 'node' ? Number(process.versions.node.split('.')[0]) : 0

/**
 * Runs the host program on this cell's runtime with `flags` before the script; returns
 * what it printed: the export's result, or `ErrorName: message`.
 */
function runHost(flags: string[], options: object, module: string, name: string, args: string[] = [], env: Record<string, string> = {}): string {
  const command = runtime === 'deno' ? [Deno!.execPath(), 'run', '-A', ...flags, host] : [process.execPath, ...flags, host]
  const result = spawnSync(command[0]!, [...command.slice(1), JSON.stringify(options), module, name, ...args], {
    env: { ...process.env, ANYTHREAD_BACKEND: backendName, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (result.status !== 0) throw new Error(`host exited with ${result.status}: ${result.stderr}`)
  return result.stdout.trim()
}

function inProcess(options: Record<string, unknown>, module: string) {
  const bridge = createBridge({ backend: makeBackend(options) })
  open.push(bridge)
  return bridge.load(fixture(`loaders/${module}`))
}

describe(`loaders given to the host reach the workers (${cell})`, () => {
  it("the host's --conditions resolves in the worker", () => {
    expect(runHost(['--conditions=custom'], {}, './conditions.js', 'resolved')).toBe('custom')
    expect(runHost([], {}, './conditions.js', 'resolved')).toBe('default')
  }, 60_000)

  it.runIf(onNode)(
    'nodeBackend({ execArgv }) replaces the host flags, as Node does',
    () => {
      expect(runHost(['--conditions=custom'], { execArgv: [] }, './conditions.js', 'resolved')).toBe('default')
      expect(inProcess({ execArgv: ['--conditions=custom'] }, 'conditions.js').runSync('resolved')).toBe('custom')
    },
    60_000,
  )

  it.runIf(onNode)(
    "the host's --require and --import modules run in the worker",
    () => {
      const flags = ['--require', fileURLToPath(fixture('loaders/mark.cjs')), '--import', fixture('loaders/mark.mjs').href]
      expect(runHost(flags, {}, '../startup/globals.js', 'globalOf', ['requiredMark'])).toBe('required')
      expect(runHost(flags, {}, '../startup/globals.js', 'globalOf', ['importedMark'])).toBe('imported')
    },
    60_000,
  )

  it.runIf(onNode)('NODE_OPTIONS reaches the workers even with execArgv given (how Yarn PnP passes its loader)', () => {
    expect(runHost([], { execArgv: [] }, './conditions.js', 'resolved', [], { NODE_OPTIONS: '--conditions=custom' })).toBe('custom')
  })

  it.runIf(onNode)(
    'node --import tsx: tsx reaches the workers on Node 22 and later; on Node 20 tsx registers on the main thread only',
    () => {
      const outcome = runHost(['--import', 'tsx'], {}, './enum.ts', 'color', ['Red'])
      if (nodeMajor >= 22) expect(outcome).toBe('red')
      else expect(outcome).toMatch(/^ModuleLoadError: .*Unknown file extension "\.ts"/)
    },
    60_000,
  )

  it.runIf(onNode)(
    "a TypeScript worker module on every Node version: nodeBackend({ execArgv: ['--import', registerTsx] })",
    () => {
      expect(inProcess({ execArgv: ['--import', registerTsx] }, 'enum.ts').runSync('color', 'Green')).toBe('green')
    },
    60_000,
  )

  it.runIf(runtime !== 'node')('Deno and Bun load TypeScript worker modules themselves, on either backend', () => {
    expect(inProcess({}, 'enum.ts').runSync('color', 'Red')).toBe('red')
  })
})
