#!/usr/bin/env node
// A launcher that exists before the build, so `npm ci` links the `peerwire` command; the program is the compiled
// `dist/bin.js` (built by `npm run build`, `npm test` or `npm start`).
import { existsSync } from "node:fs"

const program = new URL("../dist/bin.js", import.meta.url)
if (!existsSync(program)) {
  process.stderr.write("peerwire is not built yet: run `npm run build` at the repository root\n")
  process.exit(1)
}
await import(program.href)
