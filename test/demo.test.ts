/**
 * The playground demo (demo/, `npm run demo`): built with Vite, served cross-origin isolated, loaded in headless
 * Chromium. The page runs every card of the convolution zoo on wasm (one thread), wasm threads (in its Worker)
 * and WebGPU (SwiftShader here) and checks each output against the float64 reference; this test requires all
 * of them to pass, runs the benchmark tab's quick suite, and keeps screenshots of both tabs in .fixtures/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, ROOT, bin, browserMissing, run } from './bundlers/harness.js';

const REQUIRE = process.env.SIMDCONV_REQUIRE_BROWSER === '1';
const missing = await browserMissing();
if (missing && REQUIRE) throw new Error(`SIMDCONV_REQUIRE_BROWSER=1 but ${missing}`);
if (missing) console.warn(`demo test SKIPPED: ${missing}; set SIMDCONV_REQUIRE_BROWSER=1 to make this a failure.`);

const SHOTS = join(ROOT, '.fixtures');

interface CardResult {
  card: string;
  variant: string;
  wasm: { ok: boolean; worst: number };
  threads?: { ok: boolean; worst: number; threads: number };
  webgpu?: { ok: boolean; worst?: number; error?: string };
}

let browser: Browser;
beforeAll(async () => {
  if (missing) return;
  run(ROOT, bin('vite', 'bin/vite.js'), ['build', '--config', 'demo/vite.config.js', '--logLevel', 'warn']);
  browser = await Browser.launch();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(missing !== null)('the playground demo', () => {
  it('runs every convolution of the zoo on every backend within the reference bound, and the quick benchmark', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { result, logs } = await browser.open(join(ROOT, 'demo/dist'), '/?bench=quick', true, 240_000, async (page) => {
      await page.screenshot({ path: join(SHOTS, 'demo-playground.png'), fullPage: true });
      await page.click('nav button[data-tab="digits"]');
      await page.screenshot({ path: join(SHOTS, 'demo-digits.png'), fullPage: true });
      await page.click('nav button[data-tab="bench"]');
      await page.screenshot({ path: join(SHOTS, 'demo-bench.png'), fullPage: true });
    });
    const detail = `${JSON.stringify(result, null, 1)}\n${logs.join('\n')}`;
    // The digits tab: the trained CNN's first test digit predicted as PyTorch does (the logits' principled bound
    // is checked in examples.test.ts; here, that the page ran the same network).
    const digits = result.digits as { predicted: number; label: number; maxDiff: number };
    expect(digits.predicted, detail).toBe(digits.label);
    expect(digits.maxDiff, detail).toBeLessThan(1e-3);
    const results = result.results as CardResult[];
    console.log(`demo: ${results.length} results, threads ${result.threads}, webgpu ${result.webgpu}; screenshots in ${SHOTS}`);
    // Every card of the zoo, each variant checked on all three backends.
    expect(new Set(results.map((r) => r.card))).toEqual(
      new Set(['filters', 'channels', 'stride', 'dilation', 'transposed', 'depthwise-separable', 'spatially-separable', 'shuffle', 'conv3d']),
    );
    expect(result.threads, detail).toBeGreaterThanOrEqual(2);
    expect(result.webgpu, detail).toBe(true);
    for (const r of results) {
      expect(r.wasm.ok, `${r.card} / ${r.variant} wasm\n${detail}`).toBe(true);
      expect(r.threads?.ok, `${r.card} / ${r.variant} threads\n${detail}`).toBe(true);
      expect(r.webgpu?.ok, `${r.card} / ${r.variant} webgpu\n${detail}`).toBe(true);
    }
    expect(result.ok).toBe(true);
    const bench = result.bench as { configs: string[]; rows: Array<{ name: string; values: number[] }> };
    expect(bench.configs).toEqual(expect.arrayContaining(['simd128, 1 thread', 'WebGPU']));
    for (const row of bench.rows) for (const v of row.values) expect(v, row.name).toBeGreaterThan(0);
  });
});
