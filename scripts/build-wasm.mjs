// Builds every wasm variant declared in asconfig.json (SIMD128 and relaxed SIMD today) with asc's API,
// so `npm install` / `npm test` need no global tools, and puts the thread worker beside them.
import asc from 'assemblyscript/asc';
// The generated kernel boundary and tiles first (assembly/gen/, src/backends/wasm/gen/): the build compiles them.
import './gen-kernels.mjs';
import { copyFile, readFile } from 'node:fs/promises';

const config = JSON.parse(await readFile(new URL('../asconfig.json', import.meta.url), 'utf8'));
for (const target of Object.keys(config.targets)) {
  const t0 = performance.now();
  const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', target], { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`asc failed for target ${target}: ${error.message}`);
    console.error(stderr.toString());
    process.exit(1);
  }
  console.log(`built ${config.targets[target].outFile} (${target}) in ${Math.round(performance.now() - t0)} ms`);
}
// The thread-pool worker ships beside the builds, so that one folder (wasm/) is all a user copies where a bundler
// does not emit assets (init({ wasmBaseUrl })).
await copyFile(new URL('../src/backends/wasm/worker.js', import.meta.url), new URL('../wasm/simdconv-worker.js', import.meta.url));
console.log('copied wasm/simdconv-worker.js');
