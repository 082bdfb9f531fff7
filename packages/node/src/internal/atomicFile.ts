/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over the target, fsync the
 * directory. A kill -9 at any moment leaves either the old file or the new one, never a torn one.
 */
import { randomBytes } from "node:crypto"
import { open, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"

export const writeFileAtomic = async (path: string, data: string | Uint8Array, mode = 0o644): Promise<void> => {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
  const handle = await open(temp, "w", mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (e) {
    await handle.close().catch(() => undefined)
    await rm(temp, { force: true })
    throw e
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
  // The rename itself must reach the disk; not every platform lets a directory be fsynced, which is then tolerated.
  const dirHandle = await open(dir, "r").catch(() => undefined)
  if (dirHandle !== undefined) {
    await dirHandle.sync().catch(() => undefined)
    await dirHandle.close()
  }
}
