/**
 * Unit tests of the host's wait pieces that need no worker: a call's deadline (whose
 * clock stops during start-up) and the fixed deadline.
 * `block()` itself, with real workers, is proved by the conformance suite in `test/`.
 */
import { describe, expect, it } from 'vitest'
import { CallDeadline, deadlineAt, schedule } from './wait.ts'

/** A controllable "is the worker starting?" answer. */
function startingFlag(initially: boolean): { starting: () => boolean; set(value: boolean): void } {
  let value = initially
  return { starting: () => value, set: (next) => (value = next) }
}

describe('CallDeadline', () => {
  it('times out after `timeout` ms of the call running', () => {
    const flag = startingFlag(false)
    const deadline = new CallDeadline(100, 1_000, flag.starting, 0)
    expect(deadline.inStartup).toBe(false)
    expect(deadline.check(0)).toBe('running')
    expect(deadline.remaining(0)).toBe(100)
    expect(deadline.check(60)).toBe('running')
    expect(deadline.remaining(60)).toBe(40)
    expect(deadline.check(99.9)).toBe('running')
    expect(deadline.check(100)).toBe('timeout')
    expect(deadline.remaining(130)).toBe(-30)
  })

  it('stops the clock while the worker is starting and resumes it with the time used so far', () => {
    const flag = startingFlag(false)
    const deadline = new CallDeadline(100, 1_000, flag.starting, 0)
    expect(deadline.check(40)).toBe('running')
    flag.set(true) // the call's module starts loading
    expect(deadline.check(40)).toBe('running')
    expect(deadline.inStartup).toBe(true)
    expect(deadline.check(900)).toBe('running') // 860 ms of loading do not count
    expect(deadline.remaining(900)).toBe(1_000 - 860) // start-up's own bound applies meanwhile
    flag.set(false)
    expect(deadline.check(2_000)).toBe('running')
    expect(deadline.inStartup).toBe(false)
    expect(deadline.remaining(2_000)).toBe(60) // 40 used before, none since
    expect(deadline.remaining(2_030)).toBe(30)
    expect(deadline.check(2_059)).toBe('running')
    expect(deadline.check(2_060)).toBe('timeout')
  })

  it('a call that starts while the thread boots begins its clock when start-up ends', () => {
    const flag = startingFlag(true)
    const deadline = new CallDeadline(50, 1_000, flag.starting, 0)
    expect([deadline.inStartup, deadline.remaining(0), deadline.check(700)]).toEqual([true, 1_000, 'running'])
    flag.set(false)
    // The clock starts at the first look after start-up (800), and runs its full 50 ms.
    const verdicts = [800, 849, 850].map((time) => [time, deadline.check(time), deadline.remaining(time)])
    expect(verdicts).toEqual([
      [800, 'running', 50],
      [849, 'running', 1],
      [850, 'timeout', 0],
    ])
  })

  it("'startup' after startupTimeout of continuous start-up", () => {
    const flag = startingFlag(true)
    const deadline = new CallDeadline(10, 500, flag.starting, 0)
    expect(deadline.check(499)).toBe('running')
    expect(deadline.check(500)).toBe('startup')
    expect(deadline.inStartup).toBe(true)
  })

  it('start-up is bounded per stretch: boot, then module loading, each get startupTimeout', () => {
    const flag = startingFlag(true)
    const deadline = new CallDeadline(1_000, 500, flag.starting, 0)
    expect(deadline.check(400)).toBe('running') // booting
    flag.set(false)
    expect(deadline.check(410)).toBe('running') // ready: 0 ms of call time so far
    flag.set(true)
    expect(deadline.check(420)).toBe('running') // the module loads: 10 ms of call time used
    expect(deadline.check(900)).toBe('running') // 880 ms of start-up in all, 480 of it in a row
    expect(deadline.check(920)).toBe('startup')
  })

  it('an infinite timeout never times out, though start-up still can', () => {
    const flag = startingFlag(false)
    const deadline = new CallDeadline(Infinity, 100, flag.starting, 0)
    expect(deadline.check(1e12)).toBe('running')
    expect(deadline.remaining(1e12)).toBe(Infinity)
    flag.set(true)
    expect(deadline.check(1e12)).toBe('running')
    expect(deadline.check(1e12 + 100)).toBe('startup')
  })

  it('starts its clock at now() when no time is given', () => {
    const deadline = new CallDeadline(10_000, 1_000, () => false)
    const time = performance.now()
    expect(deadline.check(time)).toBe('running')
    expect(deadline.remaining(time)).toBeLessThanOrEqual(10_000)
    expect(deadline.remaining(time)).toBeGreaterThan(9_000)
  })
})

describe('deadlineAt', () => {
  it('is a fixed time', () => {
    const deadline = deadlineAt(100)
    expect(deadline.check(0)).toBe('running')
    expect(deadline.check(99.99)).toBe('running')
    expect(deadline.check(100)).toBe('timeout')
    expect(deadline.check(150)).toBe('timeout')
    expect(deadline.remaining(40)).toBe(60)
    expect(deadline.remaining(120)).toBe(-20)
  })

  it('Infinity: never', () => {
    const deadline = deadlineAt(Infinity)
    expect(deadline.check(Number.MAX_VALUE)).toBe('running')
    expect(deadline.remaining(0)).toBe(Infinity)
  })
})

describe('schedule', () => {
  it('runs its function later, through a timer the backend unrefs', async () => {
    const unrefed: unknown[] = []
    let ran!: () => void
    const done = new Promise<void>((resolve) => (ran = resolve))
    const timer = schedule({ unrefTimer: (t) => unrefed.push(t) }, ran, 1)
    expect(unrefed).toEqual([timer])
    await done
  })
})
