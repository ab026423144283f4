// Type-checks test/consumer/use.ts against the built package as a user's project sees it:
// the package copied into node_modules (package.json + dist), Node's types only (no DOM
// library), skipLibCheck off, under each module resolution TypeScript offers: nodenext
// from an ES module and from CommonJS, node10 (through typesVersions) and bundler.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from './cells.mjs'

const cases = {
  'nodenext, ES module': { type: 'module', file: 'use.ts', options: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  'nodenext, CommonJS': { type: 'commonjs', file: 'use.cts', options: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  node10: { type: 'commonjs', file: 'use.ts', options: { module: 'CommonJS', moduleResolution: 'Node10' } },
  bundler: { type: 'module', file: 'use.ts', options: { module: 'ESNext', moduleResolution: 'Bundler' } },
}

const work = mkdtempSync(join(tmpdir(), 'anythread-consumer-'))
let failed = 0
try {
  for (const [name, { type, file, options }] of Object.entries(cases)) {
    const project = join(work, name.replace(/\W+/g, '-'))
    const modules = join(project, 'node_modules')
    mkdirSync(join(modules, '@types'), { recursive: true })
    cpSync(join(root, 'package.json'), join(modules, 'anythread', 'package.json'))
    cpSync(join(root, 'dist'), join(modules, 'anythread', 'dist'), { recursive: true })
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'), 'junction')
    cpSync(join(root, 'test', 'consumer', 'use.ts'), join(project, file))
    writeFileSync(join(project, 'package.json'), JSON.stringify({ private: true, type }))
    const compilerOptions = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true, ...options }
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }, null, 2))
    const result = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' })
    const ok = result.status === 0
    if (!ok) failed++
    console.log(`${ok ? '✓' : '✗'} consumer types, ${name} (lib ES2022 + @types/node, skipLibCheck: false)`)
    if (!ok) console.log(`${result.stdout}${result.stderr}`.replace(/^/gm, '    '))
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exit(failed === 0 ? 0 : 1)
