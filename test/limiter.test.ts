import { describe, expect, it, vi } from 'vitest'
import { AnythreadError, WouldBlockError } from '../src/shared/errors.ts'
import { CapacityLimiter, CapacityToken, defaultThreadLimiter } from '../src/host/limiter.ts'
import { thrown } from './catch.ts'

const dispose: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')

/** Lets every pending promise callback run (a macrotask turn). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Settles-state of a promise, without awaiting it. */
function track<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; reason?: unknown } {
  const box: { state: 'pending' | 'resolved' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' }
  promise.then(
    (value) => Object.assign(box, { state: 'resolved', value }),
    (reason) => Object.assign(box, { state: 'rejected', reason }),
  )
  return box
}

describe('CapacityLimiter: construction and totalTokens', () => {
  it('accepts integers >= 1 and Infinity, and nothing else', () => {
    for (const bad of [0, -1, 1.5, NaN, -Infinity, '3' as unknown as number, undefined as unknown as number]) {
      expect(() => new CapacityLimiter(bad)).toThrow(RangeError)
    }
    expect(new CapacityLimiter(1).totalTokens).toBe(1)
    expect(new CapacityLimiter(7).availableTokens).toBe(7)
    const unlimited = new CapacityLimiter(Infinity)
    expect(unlimited.availableTokens).toBe(Infinity)
    const tokens = Array.from({ length: 1000 }, () => unlimited.acquireNowait())
    expect(unlimited.borrowedTokens).toBe(1000)
    expect(unlimited.availableTokens).toBe(Infinity)
    for (const token of tokens) token.release()
    expect(unlimited.borrowedTokens).toBe(0)
  })

  it('validates the setter like the constructor and keeps the old value on error', () => {
    const limiter = new CapacityLimiter(2)
    for (const bad of [0, -1, 2.5, NaN]) {
      expect(() => {
        limiter.totalTokens = bad
      }).toThrow(RangeError)
    }
    expect(limiter.totalTokens).toBe(2)
    limiter.totalTokens = Infinity
    expect(limiter.totalTokens).toBe(Infinity)
  })

  it('raising totalTokens wakes exactly the new number of waiters, first come first served, at once', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const woken: number[] = []
    const waiters = Array.from({ length: 6 }, (_, n) => limiter.acquire().then((token) => (woken.push(n), token)))
    expect(limiter.statistics().tasksWaiting).toBe(6)

    limiter.totalTokens = 3 // two new tokens
    expect(limiter.borrowedTokens).toBe(3) // handed over synchronously
    expect(limiter.statistics().tasksWaiting).toBe(4)
    await tick()
    expect(woken).toEqual([0, 1])

    limiter.totalTokens = 3 // same value: nothing changes
    await tick()
    expect(woken).toEqual([0, 1])

    limiter.totalTokens = 6
    await tick()
    expect(woken).toEqual([0, 1, 2, 3, 4])
    expect(limiter.statistics().tasksWaiting).toBe(1)
    expect(limiter.availableTokens).toBe(0)

    limiter.totalTokens = Infinity
    await tick()
    expect(woken).toEqual([0, 1, 2, 3, 4, 5])
    held.release()
    for (const waiter of waiters) (await waiter).release()
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('lowering totalTokens revokes nothing and hands out no token until borrowing drops below it', async () => {
    const limiter = new CapacityLimiter(3)
    const [a, b, c] = [limiter.acquireNowait(), limiter.acquireNowait(), limiter.acquireNowait()]
    limiter.totalTokens = 1
    expect(limiter.borrowedTokens).toBe(3)
    expect(limiter.availableTokens).toBe(0)
    expect([a.held, b.held, c.held]).toEqual([true, true, true])
    expect(limiter.statistics()).toMatchObject({ borrowedTokens: 3, totalTokens: 1 })

    const waiting = track(limiter.acquire())
    a.release()
    b.release() // 1 borrowed of 1: still no room
    await tick()
    expect(waiting.state).toBe('pending')
    expect(() => limiter.acquireNowait()).toThrow(WouldBlockError)
    c.release() // 0 of 1: the waiter gets the token
    await tick()
    expect(waiting.state).toBe('resolved')
    expect(limiter.borrowedTokens).toBe(1)
    expect(limiter.statistics().borrowers).toEqual([waiting.value])
  })
})

describe('CapacityLimiter: FIFO', () => {
  it('serves many waiters strictly in arrival order', async () => {
    const limiter = new CapacityLimiter(1)
    const first = limiter.acquireNowait()
    const order: number[] = []
    const waiters = Array.from({ length: 50 }, (_, n) =>
      limiter.acquire().then((token) => {
        order.push(n)
        token.release() // hands the token to the next one in line
      }),
    )
    expect(limiter.statistics().tasksWaiting).toBe(50)
    first.release()
    await Promise.all(waiters)
    expect(order).toEqual(Array.from({ length: 50 }, (_, n) => n))
    expect(limiter.borrowedTokens).toBe(0)
    expect(limiter.statistics().tasksWaiting).toBe(0)
  })

  it('keeps arrival order across acquire() and acquireOnBehalfOf() waiters with several tokens', async () => {
    const limiter = new CapacityLimiter(2)
    const held = [limiter.acquireNowait(), limiter.acquireNowait()]
    const order: string[] = []
    const names = ['a', 'b', 'c', 'd', 'e']
    for (const [i, name] of names.entries()) {
      const done = i % 2 === 0 ? limiter.acquire() : limiter.acquireOnBehalfOf(name)
      void done.then(() => order.push(name))
    }
    held[1]!.release()
    await tick()
    expect(order).toEqual(['a'])
    expect(limiter.statistics().borrowers.length).toBe(2)
    held[0]!.release()
    limiter.releaseOnBehalfOf(limiter.statistics().borrowers[0]) // a's token
    await tick()
    expect(order).toEqual(['a', 'b', 'c'])
    expect(limiter.statistics().borrowers.slice(0, 1)).toEqual(['b'])
    limiter.releaseOnBehalfOf('b')
    limiter.release() // c's token, the newest implicit one
    await tick()
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(limiter.statistics().borrowers[0]).toBe('d')
  })

  it('takes a free token synchronously, before the promise settles', () => {
    const limiter = new CapacityLimiter(1)
    void limiter.acquire()
    expect(limiter.borrowedTokens).toBe(1)
    expect(() => limiter.acquireNowait()).toThrow(WouldBlockError)
  })
})

describe('CapacityLimiter: acquireNowait', () => {
  it('throws WouldBlockError when no token is free, and takes nothing', () => {
    const limiter = new CapacityLimiter(2)
    limiter.acquireNowait()
    limiter.acquireOnBehalfOfNowait('x')
    const error = thrown(() => limiter.acquireNowait())
    expect(error).toBeInstanceOf(WouldBlockError)
    expect(error).toBeInstanceOf(AnythreadError)
    expect((error as Error).name).toBe('WouldBlockError')
    expect(() => limiter.acquireOnBehalfOfNowait('y')).toThrow(WouldBlockError)
    expect(limiter.borrowedTokens).toBe(2)
    expect(limiter.statistics().borrowers).not.toContain('y')
  })

  it('never barges past waiters: a released token goes straight to the first waiter', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const waiting = track(limiter.acquire())
    held.release()
    // The waiter has not resumed yet, but the token is already its own.
    expect(waiting.state).toBe('pending')
    expect(limiter.borrowedTokens).toBe(1)
    expect(() => limiter.acquireNowait()).toThrow(WouldBlockError)
    expect(() => limiter.acquireOnBehalfOfNowait('late')).toThrow(WouldBlockError)
    await tick()
    expect(waiting.state).toBe('resolved')
    expect(limiter.statistics().borrowers).toEqual([waiting.value])
    ;(waiting.value as CapacityToken).release()
    const token = limiter.acquireNowait()
    expect(token).toBeInstanceOf(CapacityToken)
    expect(token.held).toBe(true)
  })
})

describe('CapacityLimiter: borrowers', () => {
  it('gives one token per borrower', async () => {
    const limiter = new CapacityLimiter(5)
    const borrower = { name: 'task' }
    await limiter.acquireOnBehalfOf(borrower)
    const error = thrown(() => limiter.acquireOnBehalfOfNowait(borrower))
    expect(error).toBeInstanceOf(AnythreadError)
    expect(error).not.toBeInstanceOf(WouldBlockError)
    expect((error as Error).message).toMatch(/already holds a token/)
    await expect(limiter.acquireOnBehalfOf(borrower)).rejects.toThrow(/already holds a token/)
    expect(limiter.borrowedTokens).toBe(1)
    expect(limiter.statistics().borrowers).toEqual([borrower])

    // Identity, not equality: another object with the same shape is another borrower.
    await limiter.acquireOnBehalfOf({ name: 'task' })
    limiter.acquireOnBehalfOfNowait('id-1')
    expect(() => limiter.acquireOnBehalfOfNowait('id-1')).toThrow(/already holds/)
    expect(limiter.borrowedTokens).toBe(3)
  })

  it('refuses a second acquisition by a borrower that is waiting, and keeps its first wait', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const first = track(limiter.acquireOnBehalfOf('w'))
    await expect(limiter.acquireOnBehalfOf('w')).rejects.toThrow(/already waiting/)
    expect(() => limiter.acquireOnBehalfOfNowait('w')).toThrow(/already waiting/)
    expect(limiter.statistics().tasksWaiting).toBe(1)
    held.release()
    await tick()
    expect(first.state).toBe('resolved')
    expect(limiter.statistics().borrowers).toEqual(['w'])
  })

  it('refuses wrong releases and leaves the state unchanged', () => {
    const limiter = new CapacityLimiter(3)
    const other = new CapacityLimiter(3)
    limiter.acquireOnBehalfOfNowait('a')
    const token = limiter.acquireNowait()
    const foreign = other.acquireNowait()

    expect(() => limiter.releaseOnBehalfOf('nobody')).toThrow(/holds no token/)
    expect(() => limiter.releaseOnBehalfOf(foreign)).toThrow(AnythreadError)
    expect(limiter.statistics().borrowers).toEqual(['a', token])
    expect(foreign.held).toBe(true)

    limiter.releaseOnBehalfOf('a')
    expect(() => limiter.releaseOnBehalfOf('a')).toThrow(/holds no token/)

    token.release()
    expect(token.held).toBe(false)
    expect(() => token.release()).toThrow(/already released/)
    expect(() => limiter.release()).toThrow(/no token/)
    expect(limiter.borrowedTokens).toBe(0)
    expect(other.borrowedTokens).toBe(1)
  })

  it('anyio-style release() gives back the newest implicit token, never an explicit borrower', () => {
    const limiter = new CapacityLimiter(4)
    const first = limiter.acquireNowait()
    limiter.acquireOnBehalfOfNowait('explicit')
    const second = limiter.acquireNowait()
    limiter.release()
    expect(second.held).toBe(false)
    expect(() => second.release()).toThrow(/already released/)
    expect(limiter.statistics().borrowers).toEqual([first, 'explicit'])
    limiter.release()
    expect(first.held).toBe(false)
    expect(() => limiter.release()).toThrow(/no token/)
    expect(limiter.statistics().borrowers).toEqual(['explicit'])

    // A token released on its own is no longer the "newest" one release() would pick.
    const a = limiter.acquireNowait()
    const b = limiter.acquireNowait()
    b.release()
    limiter.release()
    expect(a.held).toBe(false)
    expect(limiter.borrowedTokens).toBe(1)
  })
})

describe('CapacityLimiter: cancellation', () => {
  it('an already-aborted signal rejects at once with its reason and takes no token', async () => {
    const limiter = new CapacityLimiter(1)
    const reason = new Error('before')
    const signal = AbortSignal.abort(reason)
    const error = await limiter.acquire({ signal }).catch((e: unknown) => e)
    expect(error).toBe(reason)
    await expect(limiter.acquireOnBehalfOf('b', { signal })).rejects.toBe(reason)
    expect(limiter.borrowedTokens).toBe(0)
    expect(limiter.statistics().tasksWaiting).toBe(0)
    expect(limiter.acquireNowait().held).toBe(true) // the token is still free
  })

  it('an abort while waiting removes only that waiter, rejects with the reason, leaks nothing', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const controller = new AbortController()
    const order: string[] = []
    const a = limiter.acquireOnBehalfOf('a').then(() => order.push('a'))
    const b = limiter.acquireOnBehalfOf('b', { signal: controller.signal })
    const c = limiter.acquireOnBehalfOf('c').then(() => order.push('c'))
    expect(limiter.statistics().tasksWaiting).toBe(3)

    const reason = new Error('during')
    controller.abort(reason)
    expect(limiter.statistics().tasksWaiting).toBe(2) // removed at once
    await expect(b).rejects.toBe(reason)

    held.release()
    await a
    expect(limiter.statistics().borrowers).toEqual(['a'])
    limiter.releaseOnBehalfOf('a')
    await c
    expect(order).toEqual(['a', 'c'])
    expect(limiter.statistics().borrowers).toEqual(['c'])
    limiter.releaseOnBehalfOf('c')
    expect(limiter.borrowedTokens).toBe(0)
    expect(() => limiter.releaseOnBehalfOf('b')).toThrow(/holds no token/)
    // 'b' may wait again after its cancelled attempt.
    await limiter.acquireOnBehalfOf('b')
    expect(limiter.statistics().borrowers).toEqual(['b'])
  })

  it('a token freed by the abort of the only waiter stays free', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const controller = new AbortController()
    const waiting = limiter.acquire({ signal: controller.signal })
    controller.abort()
    const error = await waiting.catch((e: unknown) => e)
    expect((error as DOMException).name).toBe('AbortError')
    held.release()
    expect(limiter.borrowedTokens).toBe(0)
    expect(limiter.availableTokens).toBe(1)
  })

  it('an abort after the token was handed over is too late: the caller gets the token, nothing leaks', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const controller = new AbortController()
    const waiting = track(limiter.acquire({ signal: controller.signal }))
    const next = track(limiter.acquire())
    held.release() // handed over to `waiting`...
    controller.abort(new Error('late')) // ...before the abort
    await tick()
    expect(waiting.state).toBe('resolved')
    const token = waiting.value!
    expect(token.held).toBe(true)
    expect(limiter.statistics()).toEqual({ borrowedTokens: 1, totalTokens: 1, borrowers: [token], tasksWaiting: 1 })
    expect(next.state).toBe('pending')
    token.release()
    await tick()
    expect(next.state).toBe('resolved')
    next.value!.release()
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('stops listening to the signal once the waiter is served', async () => {
    const limiter = new CapacityLimiter(1)
    const held = limiter.acquireNowait()
    const controller = new AbortController()
    const add = vi.spyOn(controller.signal, 'addEventListener')
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const waiting = limiter.acquire({ signal: controller.signal })
    expect(add).toHaveBeenCalledTimes(1)
    held.release()
    expect(remove).toHaveBeenCalledTimes(1)
    expect(remove.mock.calls[0]![1]).toBe(add.mock.calls[0]![1])
    ;(await waiting).release()
    // A free token is taken without listening at all.
    ;(await limiter.acquire({ signal: controller.signal })).release()
    expect(add).toHaveBeenCalledTimes(1)
  })
})

describe('CapacityLimiter: statistics, tokens, disposal', () => {
  it('reports statistics as a snapshot', async () => {
    const limiter = new CapacityLimiter(2)
    expect(limiter.statistics()).toEqual({ borrowedTokens: 0, totalTokens: 2, borrowers: [], tasksWaiting: 0 })
    const a = limiter.acquireNowait()
    limiter.acquireOnBehalfOfNowait('b')
    void limiter.acquire()
    void limiter.acquireOnBehalfOf('d')
    const stats = limiter.statistics()
    expect(stats).toEqual({ borrowedTokens: 2, totalTokens: 2, borrowers: [a, 'b'], tasksWaiting: 2 })
    expect(Object.isFrozen(stats) && Object.isFrozen(stats.borrowers)).toBe(true)
    a.release()
    expect(stats.borrowers).toEqual([a, 'b']) // the snapshot did not move
    const after = limiter.statistics()
    expect(after.borrowers[0]).toBe('b')
    expect(after.borrowers[1]).toBeInstanceOf(CapacityToken)
    expect(after.tasksWaiting).toBe(1)
    expect(String(limiter)).toBe('CapacityLimiter(borrowed 2/2, 1 waiting)')
  })

  it('tokens know their limiter and whether they are held', () => {
    const limiter = new CapacityLimiter(1)
    const token = limiter.acquireNowait()
    expect(token.limiter).toBe(limiter)
    expect(token.held).toBe(true)
    limiter.releaseOnBehalfOf(token)
    expect(token.held).toBe(false)
    expect(() => token.release()).toThrow(/already released/)
  })

  it('a token is released by disposal, once; disposing again or after release() is harmless', () => {
    const limiter = new CapacityLimiter(2)
    const token = limiter.acquireNowait()
    expect(typeof token[dispose]).toBe('function')
    token[dispose]()
    expect(limiter.borrowedTokens).toBe(0)
    expect(() => token[dispose]()).not.toThrow()
    expect(() => token.release()).toThrow(/already released/)

    const other = limiter.acquireNowait()
    limiter.release()
    other[dispose]()
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('works with a using declaration', async () => {
    const limiter = new CapacityLimiter(1)
    let inside = -1
    {
      using token = await limiter.acquire()
      inside = limiter.borrowedTokens
      expect(token.held).toBe(true)
    }
    expect(inside).toBe(1)
    expect(limiter.borrowedTokens).toBe(0)
    const run = () => {
      using _token = limiter.acquireNowait()
      throw new Error('boom')
    }
    expect(run).toThrow('boom')
    expect(limiter.borrowedTokens).toBe(0)
  })
})

describe('CapacityLimiter: concurrency with real timers', () => {
  it('a limiter of 3 lets exactly 3 of 4 async tasks run at once', async () => {
    const limiter = new CapacityLimiter(3)
    const events: string[] = []
    let running = 0
    let most = 0
    let waitingWhenFull = -1
    const task = async (n: number, ms: number) => {
      using _token = await limiter.acquire()
      running++
      most = Math.max(most, running)
      events.push(`start ${n}`)
      if (running === 3 && waitingWhenFull === -1) waitingWhenFull = limiter.statistics().tasksWaiting
      await sleep(ms)
      events.push(`end ${n}`)
      running--
    }
    await Promise.all([task(0, 60), task(1, 20), task(2, 60), task(3, 20)])
    expect(most).toBe(3)
    expect(waitingWhenFull).toBe(1)
    // Task 3 starts only once task 1 (the first to finish) has given its token back.
    expect(events.slice(0, 5)).toEqual(['start 0', 'start 1', 'start 2', 'end 1', 'start 3'])
    expect(events).toHaveLength(8)
    expect(limiter.borrowedTokens).toBe(0)
  })

  it('never exceeds its tokens under a random mix of waits, aborts and releases', async () => {
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const limiter = new CapacityLimiter(4)
    const served: number[] = []
    let running = 0
    let most = 0
    let aborted = 0
    const jobs = Array.from({ length: 200 }, async (_, n) => {
      const controller = new AbortController()
      if (random() < 0.2) setTimeout(() => controller.abort(), Math.floor(random() * 5))
      let token: CapacityToken
      try {
        token = await limiter.acquire({ signal: controller.signal })
      } catch {
        aborted++
        return
      }
      served.push(n)
      running++
      most = Math.max(most, running)
      expect(limiter.borrowedTokens).toBeLessThanOrEqual(4)
      await sleep(Math.floor(random() * 3))
      running--
      token.release()
    })
    await Promise.all(jobs)
    expect(most).toBe(4)
    expect(aborted).toBeGreaterThan(0)
    expect(served.length + aborted).toBe(200)
    // FIFO: the tasks that got a token got it in the order they asked.
    expect(served).toEqual([...served].sort((x, y) => x - y))
    expect(limiter.statistics()).toEqual({ borrowedTokens: 0, totalTokens: 4, borrowers: [], tasksWaiting: 0 })
  })
})

describe('defaultThreadLimiter', () => {
  it('is one limiter per realm, with 40 tokens', () => {
    const limiter = defaultThreadLimiter()
    expect(limiter).toBeInstanceOf(CapacityLimiter)
    expect(defaultThreadLimiter()).toBe(limiter)
    expect(limiter.totalTokens).toBe(40)
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('anythread.defaultThreadLimiter.v1')]).toBe(limiter)
    // Settings stick: it is the same object every time.
    limiter.totalTokens = 8
    expect(defaultThreadLimiter().totalTokens).toBe(8)
    limiter.totalTokens = 40
  })
})
