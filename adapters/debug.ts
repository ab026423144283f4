/** `ANYTHREAD_DEBUG=1`: the backends log spawns, exits, timeouts and recycles to stderr. */
export function debugLogger(backend: string, readEnv: () => string | undefined): ((message: string) => void) | undefined {
  let value: string | undefined
  try {
    value = readEnv()
  } catch {
    return undefined // no permission to read the environment (Deno without --allow-env)
  }
  if (value === undefined || value === '' || value === '0') return undefined
  return (message) => console.error(`anythread[${backend}] ${message}`)
}
