import { defineConfig } from 'vitest/config'

// `npm run test:unit`: the unit tests that live next to what they prove (`src/**/*.test.ts`,
// `scripts/*.test.ts`). They need no build and no worker thread, so they run in seconds,
// files in parallel. The conformance suite in test/ keeps its own config (vitest.config.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 5_000,
    hookTimeout: 5_000,
  },
})
