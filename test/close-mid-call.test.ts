import { afterEach, describe, expect, it } from 'vitest'
import { BridgeClosedError } from '../dist/index.js'
import type { Bridge } from '../dist/index.js'
import { backendName, bridge, closeAll, elapsed, fixture, runtime } from './harness.ts'
import type * as Tasks from './fixtures/tasks.js'
import type * as HostCalls from './fixtures/host-calls.js'
import type * as PortalTasks from './fixtures/portal-tasks.js'

afterEach(closeAll)

/** A bridge whose exposed `getConfig` closes it mid-call. */
function closingBridge(): Bridge {
  let self: Bridge | undefined
  self = bridge({
    timeout: 20_000,
    expose: {
      getConfig: () => {
        self!.close()
        return 'closed'
      },
    },
  })
  return self
}

describe(`close() during a call (${runtime}/${backendName})`, () => {
  it('ends a runSync whose worker is calling back into a host function that closes the bridge', () => {
    const b = closingBridge()
    const handle = b.load<typeof HostCalls>(fixture('host-calls.js'))
    const { error, ms } = elapsed(() => handle.runSync('configSync', 'x'))
    expect(error).toBeInstanceOf(BridgeClosedError)
    expect(ms).toBeLessThan(10_000) // promptly, not at the call's deadline
    expect(() => handle.runSync('configSync', 'x')).toThrow(BridgeClosedError)
  })

  it("ends a runSync whose argument's getter closes the bridge", () => {
    const b = bridge({ timeout: 20_000 })
    const handle = b.load<typeof Tasks>(fixture('tasks.js'))
    handle.runSync('add', 1) // warm
    const argument = {
      get value() {
        b.close()
        return 1
      },
    }
    const { error, ms } = elapsed(() => handle.runSync('echo', argument))
    expect(error).toBeInstanceOf(BridgeClosedError)
    expect(ms).toBeLessThan(10_000)
  })

  it('ends a portal runSync whose host function closes the bridge', () => {
    const b = closingBridge()
    const portal = b.startBlockingPortal()
    const portalTasks = portal.load<typeof PortalTasks>(fixture('portal-tasks.js'))
    expect(portalTasks.runSync('count')).toBe(0)
    const { error, ms } = elapsed(() => portalTasks.runSync('callHost', 'getConfig'))
    expect(error).toBeInstanceOf(BridgeClosedError)
    expect(ms).toBeLessThan(10_000)
    expect(portal.running).toBe(false)
  })
})
