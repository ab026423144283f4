/** Checks of user-supplied options, with errors that name the option. */

/** A count option: an integer >= `min`, or Infinity. */
export function checkCount(value: number, what: string, min: number): number {
  if (value !== Infinity && (!Number.isInteger(value) || value < min)) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`)
  }
  return value
}

/** A duration option in milliseconds (>= 0, or Infinity); `undefined` means Infinity. */
export function checkTimeout(value: number | undefined, what: string): number {
  if (value === undefined) return Infinity
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${what} must be a number of milliseconds >= 0 (or Infinity), got ${String(value)}`)
  }
  return value
}
