import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src`, import.meta.url))

// Tests run against the TypeScript sources, so a test run needs no build step of its own.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@peerwire\/(codec|transport|peer|node)$/, replacement: `${src("$1")}/index.ts` },
      { find: /^@peerwire\/(codec|transport|peer|node)\/(.*)$/, replacement: `${src("$1")}/$2.ts` }
    ]
  },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/*.interop.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    fakeTimers: { toFake: undefined }
  }
})
