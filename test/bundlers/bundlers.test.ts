/**
 * The package where users meet it: `npm pack` of the built repository, installed into small apps that each
 * bundler builds with its default configuration (or the one line of setup the README gives), loaded in headless
 * Chromium. Every page runs conv2d plans and compares them with a float64 reference
 * (fixtures/shared/check.js). The README's bundler table is this file's list of cases.
 *
 * Needs Chromium and playwright-core (scripts/setup-webgpu.sh installs Chromium). When one is missing: with
 * SIMDCONV_REQUIRE_BROWSER=1 the tests fail, otherwise they report themselves skipped with the reason.
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, bin, browserMissing, makeFixture, pack, run, serve, start } from './harness.js';

const REQUIRE = process.env.SIMDCONV_REQUIRE_BROWSER === '1';
const missing = await browserMissing();
if (missing && REQUIRE) throw new Error(`SIMDCONV_REQUIRE_BROWSER=1 but ${missing}`);
if (missing) console.warn(`bundler tests SKIPPED: ${missing}; set SIMDCONV_REQUIRE_BROWSER=1 to make this a failure.`);

const VITE = bin('vite', 'bin/vite.js');
// Vite before 8 (Rollup and esbuild inside, workers emitted as classic scripts that cannot split code).
const OLDER_VITES = [
  ['Vite 6', bin('vite6', 'bin/vite.js')],
  ['Vite 7', bin('vite7', 'bin/vite.js')],
] as const;
const WEBPACK = bin('webpack-cli', 'bin/cli.js');
const ROLLUP = bin('rollup', 'dist/bin/rollup');
const ESBUILD = bin('esbuild', 'bin/esbuild');

interface CheckResult {
  ok: boolean;
  error?: string;
  info?: { backend: string; build: string | null; threads: number };
  results?: Array<{ stride: number; ok: boolean; kernel: string; threads: number; worstErrorOverBound: number }>;
}

let tarball = '';
let browser: Browser;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  if (missing) return;
  tarball = pack();
  browser = await Browser.launch();
  cleanup.push(
    () => browser.close(),
    () => rmSync(join(tarball, '..'), { recursive: true, force: true }),
  );
}, 120_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** Serves `root` (cross-origin isolated when asked), opens `path` and returns the page's result. */
async function open(root: string, path = '/', isolated = false): Promise<{ result: CheckResult; logs: string[] }> {
  const { result, logs } = await browser.open(root, path, isolated);
  return { result: result as unknown as CheckResult, logs };
}

function expectConvOk({ result, logs }: { result: CheckResult; logs: string[] }, threads = 1): void {
  const detail = `${JSON.stringify(result, null, 2)}\n${logs.join('\n')}`;
  expect(result.ok, detail).toBe(true);
  expect(result.info, detail).toMatchObject({ backend: 'wasm', build: 'relaxed', threads });
  expect(result.results?.length, detail).toBe(2);
}

describe.skipIf(missing !== null)('bundlers, from the packed package, in headless Chromium', () => {
  it('Vite, no config: vite build', async () => {
    const dir = makeFixture('vite', tarball);
    run(dir, VITE, ['build']);
    expectConvOk(await open(join(dir, 'dist')));
  });

  it('Vite, no config: the dev server (dependency pre-bundling)', async () => {
    const dir = makeFixture('vite', tarball);
    const { child, match } = await start(dir, VITE, ['--port', '0', '--host', '127.0.0.1'], /Local:\s+(http:\/\/\S+)/);
    try {
      const { result, logs } = await browser.result(match[1]!);
      expectConvOk({ result: result as unknown as CheckResult, logs });
      // The optimizer really bundled the package (not served it file by file).
      expect(existsSync(join(dir, 'node_modules/.vite/deps/simdconv.js'))).toBe(true);
    } finally {
      child.kill();
    }
  });

  it.each(OLDER_VITES)('%s, no config: vite build, the page and threads in a Worker', async (_, vite) => {
    const dir = makeFixture('vite', tarball);
    run(dir, vite, ['build']);
    expectConvOk(await open(join(dir, 'dist')));
    const threads = makeFixture('vite-threads', tarball);
    run(threads, vite, ['build']);
    const { result, logs } = await open(join(threads, 'dist'), '/', true);
    expectConvOk({ result, logs }, 2);
  });

  it.each(OLDER_VITES)("%s dev server: the README's optimizeDeps.exclude line; without it, an error that names it", async (_, vite) => {
    for (const [fixture, ok] of [
      ['vite-exclude', true],
      ['vite', false],
    ] as const) {
      const dir = makeFixture(fixture, tarball, '.', 'vite');
      const { child, match } = await start(dir, vite, ['--port', '0', '--host', '127.0.0.1'], /Local:\s+(http:\/\/\S+)/);
      try {
        const { result, logs } = await browser.result(match[1]!);
        if (ok) expectConvOk({ result: result as unknown as CheckResult, logs });
        else expect((result as unknown as CheckResult).error).toMatch(/optimizeDeps: \{ exclude: \['simdconv'\] \}/);
      } finally {
        child.kill();
      }
    }
  });

  it('webpack 5, no config (single-op import simdconv/conv2d)', async () => {
    const dir = makeFixture('webpack', tarball, 'src');
    run(dir, WEBPACK, []);
    expectConvOk(await open(dir));
    // The wasm builds and the worker were emitted as assets.
    expect(readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
  });

  it("Rollup with the README's config (node-resolve, import-meta-assets)", async () => {
    const dir = makeFixture('rollup', tarball);
    run(dir, ROLLUP, ['-c']);
    expectConvOk(await open(dir));
  });

  it("esbuild --bundle with the README's recipe (copy simdconv/wasm, wasmBaseUrl), ESM and IIFE", async () => {
    const dir = makeFixture('esbuild', tarball);
    for (const format of ['esm', 'iife']) {
      rmSync(join(dir, 'dist'), { recursive: true, force: true });
      run(dir, ESBUILD, ['app.js', '--bundle', `--format=${format}`, '--outfile=main.js', '--log-level=error']);
      cpSync(join(dir, 'node_modules/simdconv/wasm'), join(dir, 'dist/simdconv'), { recursive: true });
      expectConvOk(await open(dir));
    }
  });

  it('esbuild without the recipe: the error says what to do', async () => {
    const dir = makeFixture('esbuild', tarball);
    run(dir, ESBUILD, ['app.js', '--bundle', '--format=esm', '--outfile=main.js', '--log-level=error']);
    const { result } = await open(dir, '/?nobase');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^SimdconvError: wasm: expected simdconv-relaxed\.wasm at .*wasmBaseUrl/);
  });

  it('wasmBaseUrl on another origin (a CDN with CORS headers): one thread (esbuild) and threads in a Worker (Vite)', async () => {
    const esbuild = makeFixture('esbuild', tarball);
    run(esbuild, ESBUILD, ['app.js', '--bundle', '--format=esm', '--outfile=main.js', '--log-level=error']);
    const threads = makeFixture('vite-threads', tarball);
    run(threads, VITE, ['build']);
    const cdn = await serve(join(esbuild, 'node_modules/simdconv/wasm'), false, true);
    try {
      const base = encodeURIComponent(cdn.url);
      expectConvOk(await open(esbuild, `/?base=${base}`));
      const { result, logs } = await open(join(threads, 'dist'), `/?base=${base}`, true);
      expectConvOk({ result, logs }, 2);
      expect(
        result.results!.every((r) => r.threads === 2),
        JSON.stringify(result.results),
      ).toBe(true);
    } finally {
      cdn.server.closeAllConnections();
      cdn.server.close();
    }
  });

  it('a plain <script type=module> importing from node_modules, no bundler (wasm and WebGPU)', async () => {
    const dir = makeFixture('plain', tarball);
    const page = await open(dir);
    expectConvOk(page);
    expect((page.result as unknown as { webgpu: unknown }).webgpu).toMatchObject({ backend: 'webgpu', ok: true });
  });

  it('threads: 2 in a Worker of a cross-origin isolated page (Vite build)', async () => {
    const dir = makeFixture('vite-threads', tarball);
    run(dir, VITE, ['build']);
    const { result, logs } = await open(join(dir, 'dist'), '/', true);
    expect((result as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated, logs.join('\n')).toBe(true);
    expectConvOk({ result, logs }, 2);
    expect(
      result.results!.every((r) => r.threads === 2),
      JSON.stringify(result.results),
    ).toBe(true);
  });

  it('simdconv/webgpu through Vite on WebGPU (SwiftShader without a GPU): one-shot and chained plans, pooling and interpolation', async () => {
    const dir = makeFixture('vite-webgpu', tarball);
    run(dir, VITE, ['build']);
    const { result, logs } = await open(join(dir, 'dist'));
    expect(result, logs.join('\n')).toMatchObject({
      ok: true,
      backend: 'webgpu',
      oneShot: { ok: true },
      chained: { ok: true },
      pool: { ok: true },
      interpolate: { ok: true },
    });
  });
});
