// The codec on large values (issue 12, item 4), standalone: encode and decode times of
// anythread's codec, inline (as the reverse channel uses it: by default an array of 1024+
// elements goes to the platform's clone instead), against structuredClone of the same
// value, per value kind, median of several rounds; then, with --bridge, the whole
// `runSync('echo', value)` path against synckit's echo. Runs on every runtime:
//
//   node bench/codec-large.mjs [--rounds 7] [--bridge] [--only ints,doubles]
//   node_modules/node24/bin/node bench/codec-large.mjs
//   node_modules/.bin/deno run -A bench/codec-large.mjs
//   node_modules/.bin/bun bench/codec-large.mjs
//
// The codec is not a public entry point: Node gets it bundled from src/ by esbuild (in
// memory, imported as a data: URL), Deno and Bun import the TypeScript sources directly.
// --bridge needs `npm run build` (it uses dist/, like the main bench), and ANYTHREAD_BACKEND
// chooses the backend (node by default).

import { runtime, runtimeVersion } from './lib/runtime.mjs'

const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback
}
const ROUNDS = Number(option('--rounds', '7'))
const ONLY = option('--only', '')
  .split(',')
  .filter((s) => s !== '')

async function loadCodec() {
  const source = new URL('../src/wire/codec/index.ts', import.meta.url)
  if (runtime !== 'node') return import(source.href)
  const { build } = await import('esbuild')
  const { fileURLToPath } = await import('node:url')
  const out = await build({ entryPoints: [fileURLToPath(source)], bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022' })
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`)
}

const { encodeInto, decodeFrom, CodecFallback } = await loadCodec()
/** --platform: time the default encodeInto, which hands large arrays to the platform (the codec table then says so). */
const INLINE = !flag('--platform')

// ---------------------------------------------------------------------------- values

const N = 1_000_000
const fill = (n, f) => {
  const a = new Array(n)
  for (let i = 0; i < n; i++) a[i] = f(i)
  return a
}
/** Value kinds: name -> a fresh value (built once per kind, reused by every round). */
const KINDS = {
  'ints 1e6 (0..1e6)': () => fill(N, (i) => i),
  'small ints 1e6 (0..99)': () => fill(N, (i) => i % 100),
  'doubles 1e6': () => fill(N, (i) => i + 0.5),
  'strings 1e6 (short)': () => fill(N, (i) => `item-${i}`),
  'objects 1e5 {id,name,tags}': () => fill(N / 10, (i) => ({ id: i, name: `name-${i}`, tags: ['a', 'bb', `t${i % 7}`] })),
  'mixed 1e6': () => fill(N, (i) => [i, i + 0.25, `s${i}`, i % 2 === 0, null][i % 5]),
}

// ---------------------------------------------------------------------------- timing

const now = () => performance.now()
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2))
const buffer = new SharedArrayBuffer(4096, { maxByteLength: 64 << 20 })
const OFFSET = 64
const MAX_BYTES = (64 << 20) - OFFSET

/** Whether a and b are the same as far as these kinds go (arrays of primitives and plain objects). */
function same(a, b) {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length || Array.isArray(a) !== Array.isArray(b)) return false
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || !same(a[ka[i]], b[kb[i]])) return false
  return true
}

function codecRound(value) {
  const t0 = now()
  const end = encodeInto([value], buffer, OFFSET, MAX_BYTES, undefined, INLINE)
  const t1 = now()
  const out = decodeFrom(buffer, OFFSET, end)[0]
  const t2 = now()
  return { encode: t1 - t0, decode: t2 - t1, out, bytes: end - OFFSET }
}

function cloneRound(value) {
  const t0 = now()
  const out = structuredClone(value)
  return { clone: now() - t0, out }
}

console.log(`# codec on large values: ${runtime} ${runtimeVersion}, median of ${ROUNDS} rounds (ms)`)
console.log('| value | bytes | encode | decode | codec total | structuredClone | ratio |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const [name, make] of Object.entries(KINDS)) {
  if (ONLY.length > 0 && !ONLY.some((o) => name.startsWith(o))) continue
  const value = make()
  let first
  try {
    first = codecRound(value)
  } catch (error) {
    if (!(error instanceof CodecFallback)) throw error
    console.log(`| ${name} | platform | | | | | |`)
    continue
  }
  if (!same(value, first.out)) throw new Error(`${name}: the codec returned something else`)
  cloneRound(value)
  const enc = []
  const dec = []
  const sc = []
  // interleaved, so a burst of load from elsewhere on the machine hits both sides
  for (let r = 0; r < ROUNDS; r++) {
    const c = codecRound(value)
    enc.push(c.encode)
    dec.push(c.decode)
    sc.push(cloneRound(value).clone)
  }
  const total = enc.map((e, i) => e + dec[i])
  const ratio = median(total) / median(sc)
  console.log(`| ${name} | ${first.bytes} | ${fmt(median(enc))} | ${fmt(median(dec))} | ${fmt(median(total))} | ${fmt(median(sc))} | ${ratio.toFixed(2)}x |`)
}

// Small values: the common case (a few arguments) must not get slower.
if (ONLY.length === 0 || ONLY.includes('small')) {
  const value = [1, 'a', { x: 1 }]
  const CALLS = 1_000_000
  const codec = () => {
    const t0 = now()
    for (let i = 0; i < CALLS; i++) decodeFrom(buffer, OFFSET, encodeInto(value, buffer, OFFSET, MAX_BYTES))
    return now() - t0
  }
  const clone = () => {
    const t0 = now()
    for (let i = 0; i < CALLS; i++) structuredClone(value)
    return now() - t0
  }
  codec()
  clone()
  const ours = []
  const theirs = []
  for (let r = 0; r < Math.max(3, ROUNDS >> 1); r++) {
    ours.push(codec())
    theirs.push(clone())
  }
  console.log(`| 1e6 x [1, 'a', {x: 1}] (round trips) | | | | ${fmt(median(ours))} | ${fmt(median(theirs))} | ${(median(ours) / median(theirs)).toFixed(2)}x |`)
}

// ---------------------------------------------------------------------------- runSync

if (flag('--bridge')) {
  const dist = new URL('../dist/', import.meta.url)
  const { createBridge } = await import(new URL('index.js', dist).href)
  const backendName = process.env.ANYTHREAD_BACKEND ?? 'node'
  const adapter = await import(new URL(`${backendName}.js`, dist).href)
  const backend = adapter[`${backendName}Backend`]
  const bridge = createBridge({ backend: backend() })
  const tasks = bridge.load(new URL('./fixtures/tasks.js', import.meta.url))
  const { startSynckit } = await import('./lib/peers.mjs')
  const synckit = await startSynckit()
  const subjects = { ours: (v) => tasks.runSync('echo', v) }
  if (synckit.fn) subjects.synckit = (v) => synckit.fn('echo', v)
  console.log(
    `\n# runSync('echo', value) vs synckit: backend ${backendName}, median of ${ROUNDS} rounds (ms)${synckit.error ? `; synckit: ${synckit.error}` : ''}`,
  )
  console.log('| value | ours | synckit | ours / synckit | 2 x structuredClone | ours / 2 x structuredClone |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const [name, make] of Object.entries(KINDS)) {
    if (ONLY.length > 0 && !ONLY.some((o) => name.startsWith(o))) continue
    const value = make()
    const times = {}
    for (const [who, fn] of Object.entries(subjects)) {
      if (!same(value, fn(value))) throw new Error(`${name}: ${who} returned something else`)
      times[who] = []
    }
    times.clone = []
    for (let r = 0; r < ROUNDS; r++) {
      for (const [who, fn] of Object.entries(subjects)) {
        const t0 = now()
        fn(value)
        times[who].push(now() - t0)
      }
      times.clone.push(cloneRound(value).clone * 2)
    }
    const ours = median(times.ours)
    const theirs = times.synckit ? median(times.synckit) : undefined
    const clone = median(times.clone)
    const vsSynckit = theirs === undefined ? '' : `${(ours / theirs).toFixed(2)}x`
    console.log(`| ${name} | ${fmt(ours)} | ${theirs === undefined ? 'n/a' : fmt(theirs)} | ${vsSynckit} | ${fmt(clone)} | ${(ours / clone).toFixed(2)}x |`)
  }
  bridge.close()
  process.exit(0)
}
