import { afterEach, describe, expect, it } from 'vitest'
import { backendName, bridge, closeAll, fixture, runtime } from './harness.ts'

afterEach(closeAll)

describe(`hostile worker modules (${runtime}/${backendName})`, () => {
  it('calls the exports of a module that exports a `then` that never settles', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('exports-then.js'))
    expect(handle.runSync('double', 21)).toBe(42)
    expect(await handle.run('double', 4)).toBe(8)
  })

  it('is not fooled by a `then` export that resolves to something else', async () => {
    const handle = bridge({ timeout: 10_000 }).load(fixture('exports-then-resolving.js'))
    expect(handle.runSync('double', 21)).toBe(42)
    expect(await handle.run('double', 4)).toBe(8)
  })
})
