// Runs on a Deno worker confined to reading this folder: fetch() a file: URL.
export async function readText(url: string): Promise<string> {
  const response = await fetch(url)
  return await response.text()
}
