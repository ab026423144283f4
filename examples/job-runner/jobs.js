// The jobs the runner hands to the pool: plain exports, no worker boilerplate.
import { checkCancelled, workerData } from 'anythread/worker'

/** Counts the primes below `limit` (CPU work), then "saves" the result (async I/O). */
export async function countPrimes(limit) {
  let count = 0
  for (let n = 2; n < limit; n++) {
    if (n % 1024 === 0) checkCancelled() // a cancelled job stops here
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
  }
  await new Promise((resolve) => setTimeout(resolve, workerData.saveMillis))
  return count
}
