// The peers our numbers are compared with, loaded so that a peer that cannot run on this
// runtime is reported as n/a with its exact error instead of failing the whole cell.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const synckitWorker = fileURLToPath(new URL('../fixtures/synckit-worker.mjs', import.meta.url))

/**
 * synckit waits forever by default; a peer that hangs on some runtime would take the
 * whole cell down with it. A 15 s timeout turns a hang into an error we can report; it
 * costs one Date.now() per call, nothing next to synckit's message-port round trip.
 */
const SYNCKIT_OPTIONS = { timeout: 15_000 }

/** The text we report for a peer that failed: class, message, and the first frames. */
export function describeError(error) {
  if (!(error instanceof Error)) return String(error)
  const text = `${error.name}: ${error.message}`
  return text.length > 600 ? `${text.slice(0, 600)}…` : text
}

let synckitModule

/** Imports synckit once; returns its createSyncFn, or throws what the import threw. */
async function synckit() {
  synckitModule ??= await import('synckit')
  return synckitModule.createSyncFn
}

/**
 * A synckit function for `path` (default: the bench worker), checked with one call.
 * Returns { fn } or { error } with the exact message. The probe call also pays the
 * worker's start-up, so later measurements start warm.
 */
export async function startSynckit(path = synckitWorker) {
  try {
    const createSyncFn = await synckit()
    const fn = createSyncFn(path, SYNCKIT_OPTIONS)
    const probe = fn('inc', 1)
    if (probe !== 2) throw new Error(`synckit probe returned ${String(probe)} instead of 2`)
    return { fn }
  } catch (error) {
    return { error: describeError(error) }
  }
}

/** For B3: createSyncFn without a probe call, so the caller can time the first call. */
export async function synckitFactory() {
  try {
    return { createSyncFn: await synckit() }
  } catch (error) {
    return { error: describeError(error) }
  }
}

/**
 * synckit caches one function (and one worker) per worker path, and a query string does
 * not help (it converts the URL to a path first). So each cold-start sample gets its own
 * copy of the worker file. The copies live under bench/ so that `import 'synckit'` in
 * them resolves from this repository's node_modules, and are removed afterwards.
 */
export function coldSynckitCopies(count) {
  const dir = fileURLToPath(new URL(`../.cold-${process.pid}/`, import.meta.url))
  mkdirSync(dir, { recursive: true })
  const paths = []
  for (let i = 0; i < count; i++) {
    const path = `${dir}synckit-worker-${i}.mjs`
    copyFileSync(synckitWorker, path)
    paths.push(path)
  }
  return { paths, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

// ---------------------------------------------------------------------------- pool peers

const poolWorker = new URL('../fixtures/pool-worker.mjs', import.meta.url)

/** Rejects with a clear error if `promise` has not settled within `ms`; a hung peer must not hang the cell. */
export function withDeadline(promise, ms, what) {
  let timer
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/**
 * The pool peers of P1/P2, each with `threads` threads kept alive (minThreads =
 * maxThreads, like ours: no thread starts or idles out between rounds) and otherwise
 * its defaults (piscina: atomics 'sync'; tinypool: useAtomics true, worker_threads).
 * Both call the default export of fixtures/pool-worker.mjs with one argument.
 */
const POOL_PEERS = {
  piscina: async (threads) => {
    const { Piscina } = await import('piscina')
    const pool = new Piscina({ filename: poolWorker.href, minThreads: threads, maxThreads: threads })
    return { run: (x) => pool.run(x), close: () => pool.destroy() }
  },
  tinypool: async (threads) => {
    const { Tinypool } = await import('tinypool')
    const pool = new Tinypool({ filename: poolWorker.href, minThreads: threads, maxThreads: threads })
    return { run: (x) => pool.run(x), close: () => pool.destroy() }
  },
}

export const poolPeerNames = Object.keys(POOL_PEERS)

/**
 * Starts pool peer `name` and checks it with one task (which also pays its threads'
 * start-up). Returns { run, close } or { error } with the exact message.
 */
export async function startPoolPeer(name, threads) {
  let pool
  try {
    pool = await POOL_PEERS[name](threads)
    const probe = await withDeadline(pool.run(1), 20_000, `${name} probe task`)
    if (probe !== 2) throw new Error(`${name} probe returned ${String(probe)} instead of 2`)
    return pool
  } catch (error) {
    if (pool) closePool(pool)
    return { error: describeError(error) }
  }
}

/** Closes a pool peer without letting a close that hangs or throws take the cell down. */
export async function closePool(pool) {
  try {
    await withDeadline(Promise.resolve(pool.close()), 5_000, 'pool close')
  } catch {}
}
