// `npm run test:interop`: the TypeScript stack against the reference Chia node (chia-blockchain, installed by
// interop/setup.sh into .interop/venv). Separate from the unit tests: real processes, real sockets on loopback only,
// one file at a time in one forked worker, long but bounded timeouts. Artifacts: .interop/artifacts/<run>/.
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const root = fileURLToPath(new URL("..", import.meta.url))
const src = (pkg: string) => `${root}packages/${pkg}/src`

export default defineConfig({
  root,
  resolve: {
    alias: [
      { find: /^@peerwire\/(codec|transport|peer|node)$/, replacement: `${src("$1")}/index.ts` },
      { find: /^@peerwire\/(codec|transport|peer|node)\/(.*)$/, replacement: `${src("$1")}/$2.ts` }
    ]
  },
  test: {
    include: ["interop/test/**/*.interop.test.ts", "packages/*/test/interop/**/*.interop.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["interop/test/globalSetup.ts"],
    // Every wait inside a test has its own, shorter bound; these only catch a bug in that bounding.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { shuffle: false },
    fakeTimers: { toFake: undefined },
    reporters: ["verbose"]
  }
})
