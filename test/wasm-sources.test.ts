/**
 * Where the kernels come from (`init({ wasm, wasmBaseUrl })`): every bad source is a SimdconvError naming the
 * option, a missing or wrong file says which URL failed, and good sources of every kind load.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext, createConv2d } from '../src/index.js';
import { defaultWasmUrl } from '../src/backends/wasm/module.js';

const dir = mkdtempSync(join(tmpdir(), 'simdconv-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIMD128 = readFileSync(defaultWasmUrl('simd128'));
// A valid module that is not simdconv's: (module (func (export "f"))).
const OTHER = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);

async function runsAConv(options: Parameters<typeof createContext>[0]): Promise<number> {
  const ctx = await createContext(options);
  const plan = createConv2d({ data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] }, null, {}, ctx);
  const y = plan.run({ data: new Float32Array([1, 1, 1, 1]), shape: [1, 1, 2, 2] }).data[0]!;
  plan.dispose();
  ctx.dispose();
  return y;
}

describe('wasm sources', () => {
  it('loads a build from bytes, a compiled module, a path, a file URL and a folder (wasmBaseUrl)', async () => {
    writeFileSync(join(dir, 'simdconv-simd128.wasm'), SIMD128);
    const module = await WebAssembly.compile(SIMD128);
    for (const source of [
      SIMD128,
      SIMD128.buffer.slice(SIMD128.byteOffset, SIMD128.byteOffset + SIMD128.byteLength),
      module,
      join(dir, 'simdconv-simd128.wasm'),
      pathToFileURL(join(dir, 'simdconv-simd128.wasm')),
    ]) {
      expect(await runsAConv({ build: 'simd128', wasm: { simd128: source as never } })).toBe(10);
    }
    expect(await runsAConv({ build: 'simd128', wasmBaseUrl: dir })).toBe(10);
    expect(await runsAConv({ build: 'simd128', wasmBaseUrl: pathToFileURL(dir) })).toBe(10);
  });

  it('threads from wasmBaseUrl: the -mt build and the worker script from the folder', async () => {
    for (const f of ['simdconv-simd128-mt.wasm', 'simdconv-worker.js']) copyFileSync(new URL(`../wasm/${f}`, import.meta.url), join(dir, f));
    const ctx = await createContext({ build: 'simd128', threads: 2, wasmBaseUrl: dir });
    expect(ctx.threads).toBe(2);
    ctx.dispose();
  });

  it.each([
    [{ wasm: 'x' }, 'options.wasm', 'INVALID_ARGUMENT'],
    [{ wasm: { fast: SIMD128 } }, 'options.wasm.fast', 'INVALID_ARGUMENT'],
    [{ wasm: { simd128: 42 } }, 'options.wasm.simd128', 'INVALID_ARGUMENT'],
    [{ wasm: { simd128: new Float32Array(4) } }, 'options.wasm.simd128', 'INVALID_ARGUMENT'],
    [{ wasm: { simd128: new Uint8Array([60, 33, 100, 111]) } }, 'options.wasm.simd128', 'INVALID_ARGUMENT'],
    [{ wasm: { simd128: OTHER } }, 'options.wasm.simd128', 'INVALID_ARGUMENT'],
    [{ wasmBaseUrl: 42 }, 'options.wasmBaseUrl', 'INVALID_ARGUMENT'],
    [{ wasmBaseUrl: '/nonexistent/folder' }, 'options.wasmBaseUrl', 'BACKEND_UNAVAILABLE'],
    [{ wasm: { simd128: '/nonexistent/simdconv-simd128.wasm' } }, 'options.wasm.simd128', 'BACKEND_UNAVAILABLE'],
  ])('%j: a SimdconvError naming %s', async (options, argument, code) => {
    await expect(createContext({ build: 'simd128', ...(options as object) })).rejects.toMatchObject({ name: 'SimdconvError', code, argument });
  });

  it('a file that is not wasm (a dev server fallback page) says which URL served what', async () => {
    writeFileSync(join(dir, 'page.html'), '<!doctype html><title>not found</title>');
    const error = await createContext({ build: 'simd128', wasm: { simd128: join(dir, 'page.html') } }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', argument: 'options.wasm.simd128' });
    expect((error as Error).message).toContain('page.html');
    expect((error as Error).message).toContain('bytes starting "<!doctype html><"');
  });

  it('a missing file in the package says what to do (copy simdconv/wasm, wasmBaseUrl)', async () => {
    const error = await createContext({ build: 'simd128', wasmBaseUrl: join(dir, 'empty') }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/simdconv-simd128\.wasm at file:.*empty\/simdconv-simd128\.wasm, received ENOENT/);
  });

  it('a bad -mt source is an error, not a silent fallback to one thread', async () => {
    await expect(createContext({ build: 'simd128', threads: 2, wasm: { 'simd128-mt': OTHER } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.wasm.simd128-mt',
    });
  });

  it("init({ build: 'relaxed' }) where the engine lacks relaxed SIMD names Node 20's flag", () => {
    const script = `import('simdconv').then((m) => m.init({ build: 'relaxed' })).then(() => console.log('ok'), (e) => console.log(e.code + ': ' + e.message));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    }).trim();
    if (Number(process.versions.node.split('.')[0]) >= 22) expect(out).toBe('ok');
    else
      expect(out).toMatch(
        /^BACKEND_UNAVAILABLE: options\.build: expected an engine with relaxed SIMD \(Node .* needs the flag: node --experimental-wasm-relaxed-simd\)/,
      );
  });
});
