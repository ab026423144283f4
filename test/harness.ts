/**
 * What every test file shares: which cell this is (runtime x backend), bridges that are
 * closed after each test, fixtures, and child programs run on the same runtime.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createBridge } from '../dist/index.js'
import type { Backend, Bridge, BridgeOptions } from '../dist/index.js'
import { bunBackend } from '../dist/bun.js'
import { denoBackend } from '../dist/deno.js'
import { nodeBackend } from '../dist/node.js'
import type * as Tasks from './fixtures/tasks.js'

declare const Deno: { execPath(): string } | undefined
declare const Bun: unknown

export type RuntimeName = 'node' | 'deno' | 'bun'
export const runtime: RuntimeName = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node'
export const backendName = (process.env.ANYTHREAD_BACKEND ?? 'node') as RuntimeName
export const cell = `${runtime}/${backendName}`

/** Deno web Workers end themselves with close(); node-layer and Bun workers with process.exit(). */
export const selfExit = backendName === 'deno' ? 'close' : 'process'

export function makeBackend(options: Record<string, unknown> = {}): Backend {
  if (backendName === 'deno') return denoBackend(options)
  if (backendName === 'bun') return bunBackend(options)
  return nodeBackend(options)
}

const open: Bridge[] = []

/** A bridge on this cell's backend, closed by `closeAll()`. */
export function bridge(options: Partial<BridgeOptions> = {}): Bridge {
  const created = createBridge({ backend: makeBackend(), ...options })
  open.push(created)
  return created
}

export function closeAll(): void {
  for (const created of open.splice(0)) created.close()
}

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)

/** The tasks fixture, typed from its own source. */
export function tasks(options: Partial<BridgeOptions> = {}) {
  return bridge(options).load<typeof Tasks>(fixture('tasks.js'))
}

export function elapsed<T>(fn: () => T): { value?: T; error?: unknown; ms: number } {
  const start = performance.now()
  try {
    const value = fn()
    return { value, ms: performance.now() - start }
  } catch (error) {
    return { error, ms: performance.now() - start }
  }
}

/** Runs a fixture program on this cell's runtime; returns its output and how long it took. */
export function runProgram(name: string, timeoutMs = 20_000, env: Record<string, string> = {}) {
  const file = fileURLToPath(fixture(name))
  const command = runtime === 'deno' ? [Deno!.execPath(), 'run', '-A', file] : [process.execPath, file]
  const start = performance.now()
  const result = spawnSync(command[0]!, command.slice(1), {
    env: { ...process.env, ANYTHREAD_BACKEND: backendName, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  return { ...result, ms: performance.now() - start, exitedAt: Date.now() }
}

/** How long a program took to exit after printing `done at <ms>`. */
export function exitDelay(result: { stdout: string; exitedAt: number }): number {
  const done = Number(/done at (\d+)/.exec(result.stdout)?.[1])
  return result.exitedAt - done
}
