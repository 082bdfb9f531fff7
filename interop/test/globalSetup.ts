/**
 * Global setup of `npm run test:interop`: installs (or reuses) the reference node in .interop/venv with
 * interop/setup.sh and makes this run's artifacts folder. If the reference cannot be installed the whole run fails here,
 * with the exact command and its output: nothing is skipped.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { TestProject } from "vitest/node"

const REPO = fileURLToPath(new URL("../../", import.meta.url))
/** First install downloads chia-blockchain and its wheels (~30 s on a good link; slow mirrors take minutes). */
const SETUP_TIMEOUT_MS = 15 * 60_000

export default function setup(project: TestProject): void {
  const command = ["bash", `${REPO}interop/setup.sh`]
  const t0 = Date.now()
  try {
    const out = execFileSync(command[0]!, command.slice(1), {
      cwd: REPO,
      timeout: SETUP_TIMEOUT_MS,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"]
    })
    process.stdout.write(`[interop] ${command.join(" ")} (${Date.now() - t0} ms)\n${out}`)
  } catch (e) {
    const err = e as { status?: number | null; signal?: string | null; stdout?: string; stderr?: string }
    throw new Error(
      `interop setup failed: \`${command.join(" ")}\` (cwd ${REPO}) ` +
        `${err.signal ? `killed by ${err.signal}` : `exited with ${String(err.status)}`}\n` +
        `--- stdout ---\n${err.stdout ?? ""}\n--- stderr ---\n${err.stderr ?? String(e)}`
    )
  }
  const run = new Date().toISOString().replace(/[:.]/g, "-")
  const dir = `${REPO}.interop/artifacts/${run}`
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/README.txt`, `npm run test:interop, started ${new Date().toISOString()}\n`)
  process.stdout.write(`[interop] artifacts: ${dir}\n`)
  project.provide("artifactsDir", dir)
}
