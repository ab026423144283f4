/**
 * Host callbacks on the wire. A function the caller passes as an argument stays on the host
 * (`host/reverse-server.ts` files it under an id); in its place travels a `CallbackRef`,
 * which the codec writes as a tag of its own (`T_CALLBACK`) and decodes back to a
 * `CallbackRef`, which the worker turns into a proxy (`worker/serve.ts`).
 *
 * No value a user passes can be taken for one: the brand is a private field, which only
 * this class's constructor gives and no clone, copy or Proxy carries, and the tag is
 * written only for objects that have it.
 */

export class CallbackRef {
  readonly #id: number
  constructor(id: number) {
    this.#id = id
  }

  /** Whether `value` is a CallbackRef (made here, not a look-alike). */
  static is(value: unknown): value is CallbackRef {
    return typeof value === 'object' && value !== null && #id in value
  }

  /** The id the host filed the function under. */
  static idOf(ref: CallbackRef): number {
    return ref.#id
  }
}

/**
 * Where the top-level callbacks of `values` were, for a payload that travels by structured
 * clone (a transfer list, or a value only the platform can clone), which would carry a
 * CallbackRef as an empty object: `[index, id, index, id, ...]`, beside the values, in
 * the message's own fields. Returns the values with those positions emptied, or the same
 * values and `undefined` when there is no callback.
 */
export function liftCallbacks(values: readonly unknown[]): { values: unknown[]; callbacks: number[] | undefined } {
  let callbacks: number[] | undefined
  let lifted: unknown[] | undefined
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (!CallbackRef.is(value)) continue
    if (lifted === undefined) {
      lifted = []
      for (let j = 0; j < values.length; j++) lifted[j] = values[j]
    }
    lifted[i] = undefined
    callbacks ??= []
    callbacks[callbacks.length] = i
    callbacks[callbacks.length] = CallbackRef.idOf(value)
  }
  return { values: lifted ?? (values as unknown[]), callbacks }
}

/** Puts back the callbacks `liftCallbacks` took out (in place); returns `values`. */
export function restoreCallbacks(values: unknown[], callbacks: readonly number[] | undefined): unknown[] {
  if (callbacks === undefined) return values
  for (let i = 0; i + 1 < callbacks.length; i += 2) values[callbacks[i] as number] = new CallbackRef(callbacks[i + 1] as number)
  return values
}
