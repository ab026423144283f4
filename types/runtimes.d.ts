// Runtime globals for type checking only (never shipped): Bun's from bun-types, Deno's
// namespace from @deno/shim-deno. At run time each exists only on its own runtime.
/// <reference types="bun-types" />
import type { Deno as DenoNamespace } from '@deno/shim-deno'

declare global {
  var Deno: (typeof DenoNamespace & { unrefTimer(id: number): void }) | undefined
}
