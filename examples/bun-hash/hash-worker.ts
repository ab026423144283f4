// Runs on pool threads: hashing is CPU work that would otherwise block the event loop.
declare const Bun: {
  file(path: string): { arrayBuffer(): Promise<ArrayBuffer> }
  CryptoHasher: new (algorithm: 'sha256') => { update(data: ArrayBuffer): void; digest(encoding: 'hex'): string }
}
export async function sha256File(path: string): Promise<string> {
  const bytes = await Bun.file(path).arrayBuffer()
  const hasher = new Bun.CryptoHasher('sha256')
  hasher.update(bytes)
  return hasher.digest('hex')
}
