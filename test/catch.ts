/** Test helpers: what a function threw, what a promise rejected with (failing if neither). */

// biome-ignore lint: tests inspect arbitrary error shapes.
export function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

// biome-ignore lint: tests inspect arbitrary error shapes.
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}
