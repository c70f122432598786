/**
 * Every example in examples/ runs: the Node ones as a user runs them from a clone (the package by its name,
 * which resolves to this repository's build), the browser ones built with Vite from the packed package and
 * loaded in headless Chromium, their results checked.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, conv2d, linear, maxPool2d } from '../src/index.js';
import { type Stage, type Tensor64, stage64, to64 } from './helpers/chain.js';
import { errorBound } from './helpers/tolerance.js';
import { Browser, ROOT, bin, browserMissing, makeApp, pack, run } from './bundlers/harness.js';
import type { Tensor } from '../src/types.js';

// The vite-app example's own picture and filter (plain JS), to recompute its result here.
const { magnitude, sobel, testImage } = (await import(join(ROOT, 'examples/vite-app/image.js'))) as {
  magnitude: (t: Tensor) => Float32Array;
  sobel: Tensor;
  testImage: () => Tensor;
};

const REQUIRE = process.env.SIMDCONV_REQUIRE_BROWSER === '1';
const missing = await browserMissing();
if (missing && REQUIRE) throw new Error(`SIMDCONV_REQUIRE_BROWSER=1 but ${missing}`);
if (missing) console.warn(`browser examples SKIPPED: ${missing}; set SIMDCONV_REQUIRE_BROWSER=1 to make this a failure.`);

const VITE = bin('vite', 'bin/vite.js');

const reshape = (t: Tensor, shape: number[]): Tensor => ({ data: t.data, shape });

function node(file: string): string {
  return execFileSync(process.execPath, [join(ROOT, file)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('Node examples', () => {
  it('node/one-shot.mjs: the square outline, inside and out', () => {
    expect(node('examples/node/one-shot.mjs')).toMatch(/output 1x1x64x64: 252 edge pixels/);
  });

  it('node/plan.mjs: a plan run many times', () => {
    expect(node('examples/node/plan.mjs')).toMatch(/32->64 3x3 on 56x56: [\d.]+ ms a run, [\d.]+ GFLOP\/s/);
  });

  it('node/resident.mjs: two layers in wasm memory', () => {
    expect(node('examples/node/resident.mjs')).toMatch(/^dwconv-.*: output 1x96x112x112, mean 0\.\d{4}$/m);
  });

  it('framework/mnist-cnn.mjs: the lessons CNN through simdconv/conv2d, ReLUs fused', () => {
    const out = node('examples/framework/mnist-cnn.mjs');
    expect(out).toMatch(/layers: Conv2d\+ReLU -> MaxPool2d -> Conv2d\+ReLU -> MaxPool2d -> Linear/);
    expect(out).toMatch(/logits 1x10: \[(-?\d\.\d{3}, ){9}-?\d\.\d{3}\]/);
  });

  it("mnist-cnn/mnist-cnn.mjs: the trained CNN, PyTorch's predictions and logits", () => {
    const out = node('examples/mnist-cnn/mnist-cnn.mjs');
    expect(out).toMatch(/layers: Conv2d\+ReLU -> MaxPool2d -> Conv2d\+ReLU -> MaxPool2d -> Linear/);
    expect(out).toMatch(/correct 3[12]\/32/);
  });

  it("mnist-cnn: the logits are within twice the composed float32 bound of the exact network of PyTorch's", async () => {
    // Ours and PyTorch's float32 logits each lie within E of the exact (float64) network's, so within 2E of each
    // other. E composes layer by layer (helpers/chain.ts): a conv adds gamma_{K+2} * |W| * m (its own rounding
    // on inputs of magnitude m) to |W| * e (the error it is given); ReLU and max pooling are 1-Lipschitz (the
    // pool of the errors bounds the error of the pool); Linear is a conv of K = 3136.
    const { loadModel } = (await import(join(ROOT, 'examples/mnist-cnn/network.mjs'))) as {
      loadModel: () => { params: Record<string, Tensor>; images: Tensor; logits: Float32Array };
    };
    const { params, images, logits } = loadModel();
    await init();
    const relu = { activation: 'relu' as const, padding: 1 };
    const ours = linear(
      reshape(
        maxPool2d(
          conv2d(
            maxPool2d(conv2d(images, params['conv1.weight']!, params['conv1.bias'], relu), { kernelSize: 2 }),
            params['conv2.weight']!,
            params['conv2.bias'],
            relu,
          ),
          { kernelSize: 2 },
        ),
        [32, 3136],
      ),
      params['fc.weight']!,
      params['fc.bias'],
    );
    const x64 = to64(images);
    const conv = (s: Stage, x: Tensor64, e: Tensor64 | null) => {
      const y = stage64(s, x);
      const K = s.weight.shape.slice(1).reduce((a, b) => a * b, 1);
      const m = e ? { shape: x.shape, data: x.data.map((v, i) => Math.abs(v) + e.data[i]!) } : { shape: x.shape, data: x.data.map(Math.abs) };
      const own = stage64(s, m, true);
      const carried = e ? stage64(s, e, true, false).data : null;
      return { y, e: { shape: y.shape, data: own.data.map((v, i) => errorBound(K, v) + (carried ? carried[i]! : 0)) } };
    };
    const pool = (t: Tensor64): Tensor64 => {
      const [N, C, H, W] = t.shape as [number, number, number, number];
      const data = new Float64Array(N * C * (H / 2) * (W / 2));
      for (let p = 0; p < N * C; p++)
        for (let i = 0; i < H / 2; i++)
          for (let j = 0; j < W / 2; j++) {
            const at = (r: number, c: number) => t.data[(p * H + r) * W + c]!;
            data[(p * (H / 2) + i) * (W / 2) + j] = Math.max(at(2 * i, 2 * j), at(2 * i, 2 * j + 1), at(2 * i + 1, 2 * j), at(2 * i + 1, 2 * j + 1));
          }
      return { shape: [N, C, H / 2, W / 2], data };
    };
    const l1 = conv({ op: 'conv2d', weight: params['conv1.weight']!, bias: params['conv1.bias'], options: relu }, x64, null);
    const l2 = conv({ op: 'conv2d', weight: params['conv2.weight']!, bias: params['conv2.bias'], options: relu }, pool(l1.y), pool(l1.e));
    const flat = (t: Tensor64): Tensor64 => ({ shape: [32, 3136, 1], data: t.data });
    const fcWeight = { data: params['fc.weight']!.data, shape: [10, 3136, 1] };
    // Linear as a conv1d over a (32, 3136, 1) view: K = 3136.
    const l3 = conv({ op: 'conv1d', weight: fcWeight, bias: params['fc.bias'] }, flat(pool(l2.y)), flat(pool(l2.e)));
    let worst = 0;
    for (let i = 0; i < logits.length; i++) {
      const bound = 2 * l3.e.data[i]!;
      worst = Math.max(worst, Math.abs(ours.data[i]! - logits[i]!) / bound);
      expect(Math.abs(ours.data[i]! - logits[i]!), `logit ${i}`).toBeLessThanOrEqual(bound);
      expect(Math.abs(ours.data[i]! - l3.y.data[i]!), `logit ${i} vs exact`).toBeLessThanOrEqual(l3.e.data[i]!);
    }
    expect(worst).toBeGreaterThan(0);
  });

  it('framework/tiny-nn.mjs bundles none of simdconv but conv2d', async () => {
    const { metafile } = await build({
      entryPoints: [join(ROOT, 'examples/framework/tiny-nn.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: ROOT,
    });
    // Modules that left code in the bundle (esbuild lists every file it read among `inputs`, shaken out or not).
    const inputs = Object.values(metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([f]) => f),
    );
    expect(inputs.some((f) => f.endsWith('gemm-conv-plan.js'))).toBe(true);
    // reference.js is in for its conv loop (output channels fed by a non-finite weight), not its transposed one.
    for (const absent of [
      'transposed-conv-plan.js',
      'winograd-conv-plan.js',
      'backends/js.js',
      'backends/wasm/chain.js',
      'ops/composite.js',
      'introspect.js',
    ]) {
      expect(
        inputs.filter((f) => f.endsWith(absent)),
        absent,
      ).toEqual([]);
    }
  });
});

let tarball = '';
let browser: Browser;
beforeAll(async () => {
  if (missing) return;
  tarball = pack();
  browser = await Browser.launch();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

/** Builds examples/<name> with Vite from the packed package and returns the page's result. */
async function viteExample(name: string, isolated = false): Promise<{ result: Record<string, unknown>; logs: string[] }> {
  const dir = makeApp(join(ROOT, 'examples', name), `example-${name}`, tarball);
  run(dir, VITE, ['build']);
  return browser.open(join(dir, 'dist'), '/', isolated);
}

describe.skipIf(missing !== null)('browser examples (Vite build of the packed package, headless Chromium)', () => {
  it('vite-app: Sobel edges, the same as in Node', async () => {
    const { result, logs } = await viteExample('vite-app');
    expect(result, logs.join('\n')).toMatchObject({ ok: true, backend: 'wasm', shape: [1, 2, 192, 192] });
    await init();
    const expected = magnitude(conv2d(testImage(), sobel, null, { padding: 'same' })).reduce((a, b) => a + b, 0);
    expect(Math.abs((result.sum as number) - expected) / expected).toBeLessThan(1e-5);
  });

  it('worker-threads: threads in a Worker of a cross-origin isolated page', async () => {
    const { result, logs } = await viteExample('worker-threads', true);
    expect(result, logs.join('\n')).toMatchObject({ ok: true, crossOriginIsolated: true });
    expect(result.contextThreads as number).toBeGreaterThanOrEqual(2);
    expect(result.threads).toBe(result.contextThreads);
  });

  it('webgpu: two chained convs on WebGPU agree with wasm', async () => {
    const { result, logs } = await viteExample('webgpu');
    expect(result, logs.join('\n')).toMatchObject({ ok: true, backend: 'webgpu' });
    expect(result.maxDiff as number).toBeLessThan(1e-4);
  });
});
