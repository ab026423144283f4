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
