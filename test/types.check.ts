/**
 * Type tests, checked by `tsc --noEmit` (part of `npm test`): calls are typed from the
 * worker module's own type. Every `@ts-expect-error` must be an error, or tsc fails.
 */
import { createBridge } from '../src/index.ts'
import type { ModuleHandle, PortalFuture, PortalModuleHandle } from '../src/index.ts'
import { nodeBackend } from '../adapters/node.ts'
import type * as Tasks from './fixtures/typed-api.ts'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

declare const bridge: ReturnType<typeof createBridge>
declare const url: URL

export function typedCalls(): void {
  const tasks = bridge.load<typeof Tasks>(url)

  const sum = tasks.runSync('add', 1, 2)
  assertType<Equal<typeof sum, number>>(true) // Promise<number> is awaited

  const text = tasks.runSync('readText', '/etc/hostname')
  assertType<Equal<typeof text, string>>(true)

  const count = tasks.runSync('increment')
  assertType<Equal<typeof count, number>>(true)

  // @ts-expect-error: no such export
  tasks.runSync('noSuchExport')
  // @ts-expect-error: not a function
  tasks.runSync('notAFunction')
  // @ts-expect-error: wrong argument type
  tasks.runSync('readText', 42)
  // @ts-expect-error: missing argument
  tasks.runSync('readText')

  const slow: ModuleHandle<typeof Tasks> = tasks.with({ timeout: 50 })
  slow.runSync('delay', 10, 'x')
  // @ts-expect-error: timeout is a number
  tasks.with({ timeout: '50' })
}

export function untypedCalls(): void {
  const anyModule = bridge.load(url)
  const value = anyModule.runSync('whatever', 1, 'two', { three: 3 })
  assertType<Equal<typeof value, unknown>>(true)
}

export function backendRequired(): void {
  // @ts-expect-error: the backend is chosen explicitly
  createBridge({})
  createBridge({ backend: nodeBackend({ resourceLimits: { maxOldGenerationSizeMb: 64 }, execArgv: [] }) })
  // @ts-expect-error: Node workers have no Deno permissions
  nodeBackend({ permissions: 'none' })
}

export async function portalCalls(): Promise<void> {
  using portal = bridge.startBlockingPortal({ timeout: 1_000 })
  const tasks: PortalModuleHandle<typeof Tasks> = portal.load<typeof Tasks>(url)
  const future: PortalFuture<number> = tasks.startTaskSoon('add', 1, 2)
  const blocked = future.result(50)
  assertType<Equal<typeof blocked, number>>(true)
  const awaited = await future
  assertType<Equal<typeof awaited, number>>(true)
  const viaPortal = portal.startTaskSoon(tasks, 'add', 1, 2)
  assertType<Equal<typeof viaPortal, PortalFuture<number>>>(true)
  const byUrl = portal.startTaskSoon(url, 'anything', 1)
  assertType<Equal<typeof byUrl, PortalFuture<unknown>>>(true)
  const withTimeout: PortalModuleHandle<typeof Tasks> = tasks.with({ timeout: 5 })
  withTimeout.startTaskSoon('add', 3, 4)
  const done: boolean = future.done() && future.cancelled() && future.cancel()
  portal.stop({ cancelRemaining: done })

  // @ts-expect-error: no such export
  tasks.startTaskSoon('noSuchExport')
  // @ts-expect-error: wrong argument type
  tasks.startTaskSoon('add', 'one')
  // @ts-expect-error: wrong argument type, through the portal
  portal.startTaskSoon(tasks, 'add', 'one')
  // @ts-expect-error: cancelRemaining is a boolean
  portal.stop({ cancelRemaining: 'yes' })
}
