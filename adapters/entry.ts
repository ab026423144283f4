/**
 * Where an adapter's worker entry lives: next to the adapter, as TypeScript when the
 * adapter runs from source (Deno, Bun), as JavaScript when it runs from the build.
 */
export function workerEntry(name: string, adapterUrl: string): URL {
  const extension = adapterUrl.endsWith('.ts') ? '.ts' : '.js'
  return new URL(`./${name}${extension}`, adapterUrl)
}
