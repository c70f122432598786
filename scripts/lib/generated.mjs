// Writes generated files, or with `check` only reports those missing or out of date (exit code 1): what the
// generators (scripts/gen-kernels.mjs, scripts/gen-entries.mjs) share.
import { mkdir, readFile, writeFile } from 'node:fs/promises';

/** `outputs`: [path relative to `root`, text]. Returns the number of stale files (always 0 when writing). */
export async function writeGenerated(root, outputs, { check, tool }) {
  let stale = 0;
  for (const [path, text] of outputs) {
    const url = new URL(path, root);
    const old = await readFile(url, 'utf8').catch(() => null);
    if (old === text) continue;
    if (check) {
      console.error(`${tool}: ${path} is ${old === null ? 'missing' : 'out of date'}; run node scripts/${tool}.mjs`);
      stale++;
      continue;
    }
    await mkdir(new URL('.', url), { recursive: true });
    await writeFile(url, text);
    console.log(`${tool}: wrote ${path}`);
  }
  if (stale) process.exitCode = 1;
  return stale;
}
