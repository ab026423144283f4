/**
 * The README's code, run. Every JavaScript or TypeScript block in README.md carries a
 * marker on the line above it,
 *
 *   <!-- readme-test: <dir>/<file> [run=node,deno,bun] [deno-flags="..."] [expect="a\nb"] [contains="..."] -->
 *
 * which writes the block to test/.readme/<dir>/<file>; with `run=`, the file is run on
 * those runtimes (each in its own runtime's cell, deno with exactly `deno-flags`, from the
 * repository root, where `anythread` resolves to the built package as it would from
 * node_modules) and must exit 0 with nothing on stderr, print the `expect` lines in that
 * order (other lines may come between) and contain `contains`. A block without a marker
 * fails the suite, so a snippet cannot stop being run without anyone deciding it.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { backendName, runtime } from './harness.ts'

declare const Deno: { execPath(): string } | undefined

const root = fileURLToPath(new URL('..', import.meta.url))
const scratch = join(root, 'test', '.readme')
const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n')

interface Snippet {
  readonly line: number
  readonly path: string
  readonly code: string
  readonly run: readonly string[]
  readonly denoFlags: readonly string[]
  readonly expect: readonly string[]
  readonly contains: string | undefined
}

const CODE = /^```(js|javascript|mjs|cjs|ts|typescript|tsx|jsx)\s*$/
const MARKER = /^<!--\s*readme-test:\s*(\S+)(.*?)-->\s*$/

function attribute(text: string, name: string): string | undefined {
  const match = new RegExp(`${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|(\\S+))`).exec(text)
  if (match === null) return undefined
  return match[1] !== undefined ? match[1].replace(/\\n/g, '\n').replace(/\\"/g, '"') : match[2]
}

const snippets: Snippet[] = []
const unmarked: number[] = []
for (let i = 0; i < readme.length; i++) {
  if (!CODE.test(readme[i]!)) continue
  const end = readme.indexOf('```', i + 1)
  const marker = MARKER.exec(readme[i - 1] ?? '')
  if (marker === null) unmarked.push(i + 1)
  else {
    const rest = marker[2]!
    snippets.push({
      line: i + 1,
      path: marker[1]!,
      code: `${readme.slice(i + 1, end).join('\n')}\n`,
      run: attribute(rest, 'run')?.split(',') ?? [],
      denoFlags: attribute(rest, 'deno-flags')?.split(/\s+/).filter(Boolean) ?? [],
      expect: attribute(rest, 'expect')?.split('\n') ?? [],
      contains: attribute(rest, 'contains'),
    })
  }
  i = end
}

// Each runtime runs its snippets in the cell of its own backend (node/node, deno/deno, bun/bun).
const runsHere = (snippet: Snippet): boolean => snippet.run.includes(runtime) && backendName === runtime

function write(): void {
  rmSync(scratch, { recursive: true, force: true })
  for (const snippet of snippets) {
    const file = join(scratch, snippet.path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, snippet.code)
  }
}

function execute(snippet: Snippet) {
  const file = join(scratch, snippet.path)
  const command = runtime === 'deno' ? [Deno!.execPath(), 'run', ...snippet.denoFlags, file] : [process.execPath, file]
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' }
  delete env.ANYTHREAD_DEBUG
  return spawnSync(command[0]!, command.slice(1), { cwd: root, encoding: 'utf8', timeout: 60_000, env })
}

/** Whether `expected` appear in `lines` in this order, other lines allowed between. */
function inOrder(lines: readonly string[], expected: readonly string[]): boolean {
  let at = 0
  for (const line of lines) if (at < expected.length && line.trim() === expected[at]!.trim()) at++
  return at === expected.length
}

describe(`README code blocks (${runtime}/${backendName})`, () => {
  it('every JavaScript and TypeScript block says whether and where it runs', () => {
    expect(unmarked.map((line) => `README.md:${line}`)).toEqual([])
    expect(snippets.length).toBeGreaterThan(0)
    expect(new Set(snippets.map((snippet) => snippet.path)).size).toBe(snippets.length)
  })

  write()
  for (const snippet of snippets.filter((each) => each.run.length > 0)) {
    it.skipIf(!runsHere(snippet))(`README.md:${snippet.line} ${snippet.path} runs on ${runtime}`, () => {
      const result = execute(snippet)
      const lines = result.stdout.split('\n')
      expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' })
      expect(inOrder(lines, snippet.expect), `stdout:\n${result.stdout}\nshould show, in order:\n${snippet.expect.join('\n')}`).toBe(true)
      if (snippet.contains !== undefined) expect(result.stdout).toContain(snippet.contains)
    })
  }
})
