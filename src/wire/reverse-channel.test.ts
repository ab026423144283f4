/**
 * Unit tests of the reverse channel (`reverse-channel.ts`, calls back into the host), in one
 * thread: two channel objects over one buffer, one playing the host, one the worker.
 */
import { describe, expect, it } from 'vitest'
import { ReverseChannel, createReverseBuffer } from './reverse-channel.ts'

describe('ReverseChannel: calls back into the host', () => {
  const REVERSE_INLINE = 8192
  function reversePair(): { host: ReverseChannel; worker: ReverseChannel } {
    const buffer = createReverseBuffer(REVERSE_INLINE)
    return { host: new ReverseChannel(buffer, REVERSE_INLINE), worker: new ReverseChannel(buffer, REVERSE_INLINE) }
  }

  it('post, pending, claim, answer, answered, read', () => {
    const { host, worker } = reversePair()
    expect(host.pending).toBe(false)
    expect(host.claim()).toBeUndefined()
    expect(worker.inFlight).toBe(false)

    const seq = worker.post('greet', ['ada', { n: 1 }], true)
    expect(seq).toBe(1)
    expect(host.pending).toBe(true)
    expect(worker.inFlight).toBe(true)
    expect(worker.answered(seq)).toBe(false)

    const request = host.claim()
    expect(request).toEqual({ seq, values: ['greet', 'ada', { n: 1 }] })
    expect(host.pending).toBe(false)
    expect(host.claim()).toBeUndefined() // claimed once
    expect(worker.inFlight).toBe(true) // being served
    expect(worker.answered(seq)).toBe(false)

    host.answer(seq, true, 'hello ada')
    expect(worker.answered(seq)).toBe(true)
    expect(worker.inFlight).toBe(false)
    expect(worker.read(seq)).toEqual({ value: 'hello ada', threw: false })
    expect(worker.answered(seq)).toBe(false) // read frees the channel
    expect(worker.inFlight).toBe(false)

    const next = worker.post(7, [], false) // a callback id as the target
    expect(next).toBe(2)
    expect(host.claim()).toEqual({ seq: next, values: [7] })
    host.answer(next, true, undefined)
    expect(worker.read(next)).toEqual({ value: undefined, threw: false })
  })

  it('a thrown error is answered with its class', () => {
    const { host, worker } = reversePair()
    const seq = worker.post('fail', [], true)
    host.claim()
    host.answer(seq, false, new TypeError('bad input'))
    const { value, threw } = worker.read(seq)
    expect(threw).toBe(true)
    expect(value).toBeInstanceOf(TypeError)
    expect((value as Error).message).toBe('bad input')
  })

  it('servingBlockedWorker: only while serving a request whose worker blocks on it', () => {
    const { host, worker } = reversePair()
    let seq = worker.post('f', [], true)
    expect(host.servingBlockedWorker).toBe(false) // not claimed yet
    host.claim()
    expect(host.servingBlockedWorker).toBe(true)
    host.answer(seq, true, 1)
    expect(host.servingBlockedWorker).toBe(false)
    worker.read(seq)

    seq = worker.post('f', [], false) // fromThread.run: the worker awaits, it is not blocked
    host.claim()
    expect(host.servingBlockedWorker).toBe(false)
    host.answer(seq, true, 2)
    expect(worker.read(seq).value).toBe(2)
  })

  it('a result that cannot travel is answered as an error', () => {
    const { host, worker } = reversePair()
    const { port1, port2 } = new MessageChannel()
    port2.close()
    for (const value of [() => 1, port1, 'x'.repeat(REVERSE_INLINE * 2)]) {
      const seq = worker.post('f', [], true)
      host.claim()
      host.answer(seq, true, value)
      expect(worker.answered(seq)).toBe(true)
      const answer = worker.read(seq)
      expect(answer.threw).toBe(true)
      expect(answer.value).toBeInstanceOf(Error)
      expect((answer.value as Error).message).toMatch(/The host function's result/)
    }
  })

  it('an argument that cannot travel throws at post, and nothing is published', () => {
    const { host, worker } = reversePair()
    expect(() => worker.post('f', [() => 1], true)).toThrow(/An argument of the call to the host/)
    expect(() => worker.post('f', ['x'.repeat(REVERSE_INLINE * 2)], true)).toThrow(TypeError)
    expect(worker.inFlight).toBe(false)
    expect(host.pending).toBe(false)
    const seq = worker.post('f', [1], true) // the channel still works
    expect(host.claim()?.values).toEqual(['f', 1])
    host.answer(seq, true, 2)
    expect(worker.read(seq)).toEqual({ value: 2, threw: false })
  })

  it('waitAnswer returns once answered; answerAsync resolves when the host answers', async () => {
    const { host, worker } = reversePair()
    let seq = worker.post('f', [], true)
    host.claim()
    host.answer(seq, true, 'now')
    worker.waitAnswer(seq, 0.05, () => performance.now())
    expect(worker.read(seq).value).toBe('now')

    seq = worker.post('g', [], false)
    let settled = false
    const answered = worker.answerAsync(seq).then(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(false) // not before the host answers
    host.claim()
    host.answer(seq, true, 'later')
    await answered
    expect(worker.read(seq).value).toBe('later')
  })
})
