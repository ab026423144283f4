import { describe, expect, it } from 'vitest'
import { bunBackend } from '../dist/bun.js'
import { denoBackend } from '../dist/deno.js'
import { nodeBackend } from '../dist/node.js'
import { runtime } from './harness.ts'

describe(`backend factories (${runtime})`, () => {
  it.skipIf(runtime === 'deno')('denoBackend() says at once that it runs on Deno only', () => {
    expect(() => denoBackend()).toThrow("denoBackend() runs on Deno only; use nodeBackend() from 'anythread/node' elsewhere")
  })

  it.skipIf(runtime === 'bun')('bunBackend() says at once that it runs on Bun only', () => {
    expect(() => bunBackend()).toThrow("bunBackend() runs on Bun only; use nodeBackend() from 'anythread/node' elsewhere")
  })

  it('nodeBackend() runs on every runtime', () => {
    expect(nodeBackend().name).toBe('node')
  })
})
