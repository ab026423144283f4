/**
 * A thread's life in the call channel's header (`Slot.Life`, `Slot.ExitCode`), for code
 * that must stay small: the modules that run in a worker before anythread's entry (see
 * `adapters/node-preload.ts`) are embedded in the adapters and started with every thread,
 * so they cannot carry the codec that `Channel` brings. `Channel` uses these too, so the
 * rule lives here once.
 */
import { HEADER_BYTES, Life, Slot } from './protocol.ts'

// Captured when this module loads, before any worker module runs on the thread.
const { add, load, notify, store } = Atomics

/** The header slots of a channel buffer. */
export const headerOf = (buffer: SharedArrayBuffer): Int32Array => new Int32Array(buffer, 0, HEADER_BYTES / 4)

/** Whether the thread has not finished booting (nor died). */
export const isBooting = (slots: Int32Array): boolean => load(slots, Slot.Life) === Life.Booting

/** Whether the thread's death was recorded. */
export const isDead = (slots: Int32Array): boolean => load(slots, Slot.Life) === Life.Dead

/** Wakes whatever waits on the channel: a blocked host (`Wake`) and a pool's waitAsync (`Busy`). */
export function wakeAll(slots: Int32Array): void {
  add(slots, Slot.Wake, 1)
  notify(slots, Slot.Wake)
  notify(slots, Slot.Busy)
}

/** Worker, from a death hook: records the exit and wakes whatever waits. Once: false if already dead. */
export function markDead(slots: Int32Array, exitCode: number | undefined): boolean {
  if (isDead(slots)) return false
  store(slots, Slot.ExitCode, exitCode ?? -1)
  store(slots, Slot.Life, Life.Dead)
  wakeAll(slots)
  return true
}
