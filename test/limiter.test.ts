import { describe, expect, it } from 'vitest'
import { AnythreadError } from '../src/errors.ts'
import { CapacityLimiter, CapacityToken, WouldBlockError, defaultThreadLimiter } from '../src/limiter.ts'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('CapacityLimiter', () => {
  it('validates totalTokens', () => {
    expect(() => new CapacityLimiter(0)).toThrow(RangeError)
    expect(() => new CapacityLimiter(1.5)).toThrow(RangeError)
    expect(new CapacityLimiter(Infinity).availableTokens).toBe(Infinity)
    const limiter = new CapacityLimiter(2)
    expect(() => {
      limiter.totalTokens = -1
    }).toThrow(RangeError)
  })

  it('serves waiters strictly first come, first served', async () => {
    const limiter = new CapacityLimiter(1)
    const first = limiter.acquireNowait()
    const order: number[] = []
    const waiters = [1, 2, 3, 4].map((n) => limiter.acquire().then((token) => {
      order.push(n)
      return token
    }))
    await tick()
    expect(limiter.statistics().tasksWaiting).toBe(4)
    first.release()
    for (const waiter of waiters) (await waiter).release()
    expect(order).toEqual([1, 2, 3, 4])
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('wakes exactly as many waiters as tokens are added, and revokes none when lowered', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    let woken = 0
    const waiters = Array.from({ length: 5 }, () => limiter.acquire().then((token) => (woken++, token)))
    limiter.totalTokens = 3
    await tick()
    expect(woken).toBe(2)
    expect(limiter.borrowedTokens).toBe(3)
    limiter.totalTokens = 1 // lowering revokes nothing
    expect(limiter.borrowedTokens).toBe(3)
    expect(limiter.availableTokens).toBe(0)
    held.release()
    await tick()
    expect(woken).toBe(2) // still 2 borrowed of 1: nobody new gets in
    limiter.totalTokens = 10
    await tick()
    expect(woken).toBe(5)
    await Promise.all(waiters)
  })

  it('gives one token per borrower and refuses wrong releases', async () => {
    const limiter = new CapacityLimiter(5)
    const borrower = { name: 'task' }
    await limiter.acquireOnBehalfOf(borrower)
    expect(() => limiter.acquireOnBehalfOfNowait(borrower)).toThrow(AnythreadError)
    await expect(limiter.acquireOnBehalfOf(borrower)).rejects.toThrow(/already/)
    expect(limiter.statistics().borrowers).toEqual([borrower])
    limiter.releaseOnBehalfOf(borrower)
    expect(() => limiter.releaseOnBehalfOf(borrower)).toThrow(/holds no token/)
    const token = limiter.acquireNowait()
    token.release()
    expect(() => token.release()).toThrow(/already released/)
    expect(() => limiter.release()).toThrow(/no token/)
  })

  it('acquireNowait throws WouldBlockError and never jumps the queue', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    expect(() => limiter.acquireNowait()).toThrow(WouldBlockError)
    const waiting = limiter.acquire()
    await tick()
    held.release() // the token goes straight to the waiter...
    expect(() => limiter.acquireNowait()).toThrow(WouldBlockError) // ...not to a latecomer
    ;(await waiting).release()
    expect(limiter.acquireNowait()).toBeInstanceOf(CapacityToken)
  })

  it('handles aborts before and during the wait without leaking a token', async () => {
    const limiter = new CapacityLimiter(1)
    const aborted = AbortSignal.abort(new Error('before'))
    await expect(limiter.acquire({ signal: aborted })).rejects.toThrow('before')
    expect(limiter.borrowedTokens).toBe(0)

    const held = limiter.acquireNowait()
    const controller = new AbortController()
    const cancelled = limiter.acquire({ signal: controller.signal })
    const next = limiter.acquire()
    await tick()
    controller.abort(new Error('during'))
    await expect(cancelled).rejects.toThrow('during')
    expect(limiter.statistics().tasksWaiting).toBe(1)
    held.release()
    const token = await next // the one behind the aborted waiter is served
    expect(limiter.borrowedTokens).toBe(1)
    token.release()
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('releases on dispose and through anyio-style release()', () => {
    const limiter = new CapacityLimiter(2)
    const token = limiter.acquireNowait()
    token[Symbol.dispose ?? Symbol.for('Symbol.dispose')]()
    expect(limiter.borrowedTokens).toBe(0)
    limiter.acquireNowait()
    limiter.acquireNowait()
    limiter.release()
    limiter.release()
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('reports statistics', async () => {
    const limiter = new CapacityLimiter(2)
    const a = limiter.acquireNowait()
    const b = limiter.acquireNowait()
    void limiter.acquire()
    await tick()
    expect(limiter.statistics()).toEqual({ borrowedTokens: 2, totalTokens: 2, borrowers: [a, b], tasksWaiting: 1 })
  })

  it('lets exactly 3 of 4 tasks run at once with 3 tokens', async () => {
    const limiter = new CapacityLimiter(3)
    let running = 0
    let most = 0
    const task = async () => {
      const token = await limiter.acquire()
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 30))
      running--
      token.release()
    }
    await Promise.all([task(), task(), task(), task()])
    expect(most).toBe(3)
  })

  it('has one default thread limiter of 40 tokens', () => {
    expect(defaultThreadLimiter()).toBe(defaultThreadLimiter())
    expect(defaultThreadLimiter().totalTokens).toBe(40)
  })
})
