/** Unit tests of the state words both channels use (`protocol.ts`). */
import { describe, expect, it } from 'vitest'
import { Phase, ReversePhase, nextSeq, phaseOf, seqOf, stateOf } from './protocol.ts'

const MAX_SEQ = 0x0fffffff

describe('protocol: state words', () => {
  it('packs a seq and a phase into one word and unpacks them', () => {
    for (const seq of [1, 2, 12345, MAX_SEQ]) {
      for (const phase of Object.values(Phase)) {
        const state = stateOf(seq, phase)
        expect(seqOf(state)).toBe(seq)
        expect(phaseOf(state)).toBe(phase)
        expect(state | 0).toBe(state) // fits an Int32 slot as is
      }
    }
    for (const phase of Object.values(ReversePhase)) expect(phaseOf(stateOf(7, phase))).toBe(phase)
  })

  it('nextSeq counts up, wraps to 1 and never gives 0', () => {
    expect(nextSeq(0)).toBe(1)
    expect(nextSeq(1)).toBe(2)
    expect(nextSeq(MAX_SEQ - 1)).toBe(MAX_SEQ)
    expect(nextSeq(MAX_SEQ)).toBe(1)
    for (let seq = MAX_SEQ - 3, i = 0; i < 8; i++, seq = nextSeq(seq)) expect(seq).not.toBe(0)
  })

  it('the same seq in different phases, or different seqs in one phase, never share a word', () => {
    const words = new Set<number>()
    for (const seq of [1, 2, MAX_SEQ]) for (const phase of Object.values(Phase)) words.add(stateOf(seq, phase))
    expect(words.size).toBe(3 * Object.values(Phase).length)
  })
})
