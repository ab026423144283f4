/**
 * The package's entry points are named in three files: package.json (npm: the built
 * files), deno.json (JSR and Deno: the TypeScript sources) and tsup.config.ts (which
 * source builds which file). This test keeps them in step, so none is kept by hand:
 * every subpath exported on npm is exported on JSR and the other way round, each pointing
 * at the same source, and every file named exists.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'

// tsup.config.ts is plain data around `defineConfig`: read it without loading tsup itself.
vi.mock('tsup', () => ({ defineConfig: (config: unknown) => config }))

interface TsupConfig {
  readonly entry?: Record<string, string> | string[]
  readonly dts?: unknown
}

const root = new URL('../', import.meta.url)
const exists = (path: string): boolean => existsSync(new URL(path, root))
const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, root), 'utf8'))

const pkg = readJson('package.json') as { version: string; exports: Record<string, unknown> }
const deno = readJson('deno.json') as { version: string; exports: Record<string, string>; publish?: { include?: string[]; exclude?: string[] } }

/** package.json's export subpaths that name a module (not `./package.json`). */
const npmSubpaths = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json')
const denoSubpaths = Object.keys(deno.exports)

/** Every file a package.json export points at, whatever the conditions. */
function targets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry]
  if (entry === null || typeof entry !== 'object') return []
  return Object.values(entry).flatMap(targets)
}

/** The tsup entry name a built file belongs to: `./dist/node.d.cts` → `node`. */
const BUILT = /^\.\/dist\/([\w-]+)\.(?:js|cjs|d\.ts|d\.cts)$/

async function tsupEntries(): Promise<{ all: Map<string, string>; typed: Map<string, string> }> {
  // Imported by URL, so tsc does not pull tsup.config.ts into its program: it is outside
  // tsconfig's include, and does not type-check as it stands (`shared` is `as const`, which
  // makes `external` readonly where tsup's Options wants a mutable array).
  const url = new URL('tsup.config.ts', root).href
  const { default: config } = (await import(/* @vite-ignore */ url)) as { default: TsupConfig | TsupConfig[] }
  const all = new Map<string, string>()
  const typed = new Map<string, string>() // entries built with .d.ts: the public ones
  for (const options of Array.isArray(config) ? config : [config]) {
    const entry = options.entry
    expect(entry, 'tsup.config.ts: every entry map names its outputs (an object, not a list)').toBeTypeOf('object')
    expect(Array.isArray(entry)).toBe(false)
    for (const [name, source] of Object.entries(entry as Record<string, string>)) {
      all.set(name, source)
      if (options.dts) typed.set(name, source)
    }
  }
  return { all, typed }
}

describe('package exports: package.json, deno.json and tsup.config.ts agree', () => {
  it('the same subpaths are exported on npm and on JSR', () => {
    const drift = {
      onlyInPackageJson: npmSubpaths.filter((subpath) => !denoSubpaths.includes(subpath)),
      onlyInDenoJson: denoSubpaths.filter((subpath) => !npmSubpaths.includes(subpath)),
    }
    expect(drift, 'package.json exports vs deno.json exports').toEqual({ onlyInPackageJson: [], onlyInDenoJson: [] })
  })

  it('every npm export is a public tsup entry, and every public tsup entry is exported', async () => {
    const { all, typed } = await tsupEntries()
    const exported = new Set<string>()
    for (const subpath of npmSubpaths) {
      const files = targets(pkg.exports[subpath])
      const names = new Set(files.map((file) => BUILT.exec(file)?.[1]))
      expect([...names], `package.json "${subpath}" points at one built entry in dist/: ${files.join(', ')}`).toHaveLength(1)
      const [name] = names
      expect(name, `package.json "${subpath}": ${files.join(', ')}`).toBeDefined()
      // Worker entries (`nodeBackend({ entry })`) are plain modules a thread runs: built, no types.
      const worker = name!.endsWith('-worker') && all.has(name!)
      expect(typed.has(name!) || worker, `package.json "${subpath}" points at dist/${name}, which tsup.config.ts does not build with types`).toBe(true)
      exported.add(name!)
    }
    expect(
      [...typed.keys()].filter((name) => !exported.has(name)),
      'tsup entries built with types but exported by no package.json subpath',
    ).toEqual([])
  })

  it('each deno.json export is the TypeScript source tsup builds for that subpath', async () => {
    const { all } = await tsupEntries()
    for (const subpath of denoSubpaths) {
      const file = targets(pkg.exports[subpath])[0]
      const name = file === undefined ? undefined : BUILT.exec(file)?.[1]
      const source = name === undefined ? undefined : all.get(name)
      expect(source, `deno.json "${subpath}": no package.json export builds it`).toBeDefined()
      expect(deno.exports[subpath], `deno.json "${subpath}"`).toBe(`./${source}`)
    }
  })

  it('every file named exists: the deno.json targets and the sources of every tsup entry', async () => {
    const { all } = await tsupEntries()
    const missing = [...Object.values(deno.exports), ...[...all.values()].map((source) => `./${source}`)].filter((file) => !exists(file))
    expect(missing, 'files named by deno.json exports or tsup.config.ts entries that do not exist').toEqual([])
  })

  it('JSR publishes every deno.json export, and no test file', () => {
    const include = deno.publish?.include ?? []
    for (const [subpath, file] of Object.entries(deno.exports)) {
      const path = file.replace(/^\.\//, '')
      expect(
        include.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry)),
        `deno.json "${subpath}" (${file}) is outside publish.include`,
      ).toBe(true)
      expect(path).not.toMatch(/\.test\.ts$/)
    }
    expect(deno.publish?.exclude ?? [], 'deno.json publish.exclude keeps the unit tests next to the sources out of the JSR package').toContain('**/*.test.ts')
  })

  it('the same version on npm and on JSR', () => {
    expect(deno.version, 'deno.json version vs package.json version').toBe(pkg.version)
  })
})
