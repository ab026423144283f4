/**
 * The modules a backend starts a thread with (or loads into one). From the TypeScript
 * sources (Deno, Bun) each is the file beside the adapters. The build replaces every other
 * file of this folder (`embedWorkers` in tsup.config.ts) with each module's text, bundled
 * into one self-contained ES module, so the built adapters need no file beside them and
 * survive bundlers, single-file executables and file tracers. One file per backend, so an
 * application that imports one backend carries only that backend's text.
 */

/** A module to start: its text (the build) or its file (the sources). */
export type ModuleSource = { readonly text: string; readonly file?: undefined } | { readonly file: URL; readonly text?: undefined }
