/**
 * The package as a consumer sees it: every `exports` subpath resolves from the built dist/ (self-reference
 * by package name), has its types, and a single-op entry works on its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; node?: string; default: string }>;
};

const ADD_ONS = ['./winograd', './js-backend', './threads'];
const entries = Object.entries(pkg.exports).filter(([, target]) => typeof target !== 'string') as Array<
  [string, { types: string; node?: string; default: string }]
>;

describe('package exports', () => {
  it.each(entries)('%s resolves to built JS and declarations', async (subpath, target) => {
    expect(existsSync(new URL(`../${target.default}`, import.meta.url)), target.default).toBe(true);
    expect(existsSync(new URL(`../${target.types}`, import.meta.url)), target.types).toBe(true);
    if (target.node) expect(existsSync(new URL(`../${target.node}`, import.meta.url)), target.node).toBe(true);
    const mod = (await import(/* @vite-ignore */ `${pkg.name}${subpath.slice(1)}`)) as Record<string, unknown>;
    // The add-ons install a kernel path or a backend and export nothing.
    if (!ADD_ONS.includes(subpath)) expect(Object.keys(mod).length).toBeGreaterThan(0);
  });

  it('a single-op entry carries init and runs on its own', async () => {
    const { init, conv2d } = (await import(/* @vite-ignore */ `${pkg.name}/conv2d`)) as typeof import('../src/ops/conv2d.js');
    await init();
    const y = conv2d({ data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] }, { data: new Float32Array([1, 1, 1, 1]), shape: [1, 1, 2, 2] });
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.data[0]).toBe(10);
  });

  it('the .wasm builds and the thread worker ship beside dist', () => {
    for (const build of ['simd128', 'relaxed', 'simd128-mt', 'relaxed-mt']) {
      expect(existsSync(new URL(`../wasm/simdconv-${build}.wasm`, import.meta.url)), build).toBe(true);
    }
    expect(existsSync(new URL('../wasm/simdconv-worker.js', import.meta.url))).toBe(true);
  });

  it("every entry that starts a context has a node variant that installs Node's platform first", () => {
    for (const [subpath, target] of entries) {
      if (['./introspect', './reference', ...ADD_ONS].includes(subpath)) continue;
      expect(target.node, subpath).toBe(`./dist/node/${subpath === '.' ? 'index' : subpath.slice(2)}.js`);
    }
  });
});
