/**
 * The package as npm would publish it (`npm pack` of the built repository): what it holds, what installing it
 * costs, how much of it a single-op import bundles, and whether its types check in a strict project. The
 * browser side of the same tarball is test/bundlers/bundlers.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, pack } from './bundlers/harness.js';

/** The most `npm install simdconv` may put on disk (the budget; Dawn alone is 130 MB). */
const INSTALL_BUDGET_BYTES = 5 * 2 ** 20;
/** A single-op entry's start-up code may be at most this fraction of the main entry's. */
const SINGLE_OP_BUDGET = 0.6;

let tarball = '';
let app = '';

beforeAll(() => {
  tarball = pack();
  // Installed as a user would: a fresh app, `npm install <tarball>` (from npm's cache when it can).
  app = mkdtempSync(join(tmpdir(), 'simdconv-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, stdio: 'pipe' });
}, 180_000);

afterAll(() => {
  for (const dir of [app, join(tarball, '..')]) if (dir) rmSync(dir, { recursive: true, force: true });
});

function duBytes(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + duBytes(join(path, name)), 0);
}

describe('the packed package', () => {
  it('holds dist, wasm, README and LICENSE, nothing else', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    const top = new Set(files.map((f) => f.replace(/^package\//, '').split('/')[0]));
    expect([...top].sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', 'wasm']);
    for (const file of ['simdconv-relaxed.wasm', 'simdconv-simd128.wasm', 'simdconv-relaxed-mt.wasm', 'simdconv-simd128-mt.wasm', 'simdconv-worker.js']) {
      expect(files).toContain(`package/wasm/${file}`);
    }
  });

  it(`installs in at most ${INSTALL_BUDGET_BYTES / 2 ** 20} MB, without the optional WebGPU package (Dawn)`, () => {
    const modules = join(app, 'node_modules');
    const installed = readdirSync(modules).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@webgpu', 'simdconv']);
    const bytes = duBytes(modules);
    console.log(`npm install simdconv: ${(bytes / 2 ** 20).toFixed(2)} MB (${installed.join(', ')})`);
    expect(bytes).toBeLessThanOrEqual(INSTALL_BUDGET_BYTES);
  });

  it('runs in Node from the install: main and single-op entries', () => {
    const script = `
      import { init, conv2d } from 'simdconv';
      import * as one from 'simdconv/conv2d';
      const info = await init();
      const x = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
      const w = { data: new Float32Array([1, 1, 1, 1]), shape: [1, 1, 2, 2] };
      console.log(JSON.stringify({ backend: info.backend, main: conv2d(x, w).data[0], single: one.conv2d(x, w).data[0] }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ backend: 'wasm', main: 10, single: 10 });
  });

  it("the js backend comes with the main entry; single-op bundles add it with import 'simdconv/js-backend'", () => {
    const script = `
      import { init } from 'simdconv/conv2d';
      const before = await init({ backend: 'js' }).catch((e) => e.code + ': ' + e.message);
      await import('simdconv/js-backend');
      const after = (await init({ backend: 'js' })).backend;
      const main = (await (await import('simdconv')).init({ backend: 'js' })).backend;
      console.log(JSON.stringify({ before, after, main }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }));
    expect(out.before).toMatch(
      /^BACKEND_UNAVAILABLE: options\.backend: expected the js backend, which this bundle does not hold: import 'simdconv\/js-backend'/,
    );
    expect(out).toMatchObject({ after: 'js', main: 'js' });
  });

  it("threads come with the main entry; single-op bundles add them with import 'simdconv/threads'", async () => {
    const script = `
      import { init, conv2d } from 'simdconv/conv2d';
      const before = await init({ threads: 2 }).catch((e) => e.code + ': ' + e.message);
      const auto = await init({ threads: 'auto' }).catch((e) => e.argument);
      await import('simdconv/threads');
      const after = (await init({ threads: 2 })).threads;
      const x = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
      const y = conv2d(x, { data: new Float32Array([1, 1, 1, 1]), shape: [1, 1, 2, 2] }).data[0];
      console.log(JSON.stringify({ before, auto, after, y }));
      process.exit(0);`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }));
    expect(out.before).toMatch(/^BACKEND_UNAVAILABLE: options\.threads: expected threads, which this bundle does not hold: import 'simdconv\/threads'/);
    expect(out).toMatchObject({ auto: 'options.threads', after: 2, y: 10 });
    // A bundle of the single op emits no -mt build and holds no pool.
    const dir = mkdtempSync(join(tmpdir(), 'simdconv-mt-'));
    try {
      writeFileSync(join(app, 'mt-entry.js'), `import { init, conv2d } from 'simdconv/conv2d'; globalThis.f = [init, conv2d];`);
      await build({ entryPoints: [join(app, 'mt-entry.js')], bundle: true, format: 'esm', outdir: dir, logLevel: 'silent', absWorkingDir: app });
      const code = readFileSync(join(dir, 'mt-entry.js'), 'utf8');
      expect(code).toMatch(/new URL\("[^"]*simdconv-relaxed\.wasm", import\.meta\.url\)/);
      expect(code).not.toMatch(/new URL\("[^"]*-mt\.wasm", import\.meta\.url\)/);
      expect(code).not.toContain('Atomics.notify');
      expect(code).not.toContain('Atomics.wait cannot block');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Winograd comes with the main entry; single-op bundles add it with import 'simdconv/winograd'", () => {
    const script = `
      import { init, createConv2d } from 'simdconv/conv2d';
      const warnings = [];
      console.warn = (m) => warnings.push(m);
      await init();
      const w = { data: new Float32Array(8 * 8 * 9).fill(0.5), shape: [8, 8, 3, 3] };
      const kernel = () => createConv2d(w, null, { padding: 1, algorithm: 'winograd' }).info.kernel;
      const before = kernel();
      await import('simdconv/winograd');
      console.log(JSON.stringify({ before, warnings, after: kernel() }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }));
    expect(out.before).not.toMatch(/^winograd/);
    expect(out.warnings).toEqual([expect.stringContaining("import 'simdconv/winograd'")]);
    expect(out.after).toMatch(/^winograd-/);
  });

  /**
   * What a page loads before its first op: the bundle's entry chunk and every chunk it imports statically
   * (esbuild, minified, code splitting on), gzipped as one. The .wasm is not counted, for either side.
   */
  async function startupBytes(entry: string): Promise<{ minified: number; gzip: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'simdconv-size-'));
    try {
      writeFileSync(join(app, 'size-entry.js'), `import * as m from '${entry}'; globalThis.m = m;`);
      const { metafile } = await build({
        entryPoints: [join(app, 'size-entry.js')],
        bundle: true,
        minify: true,
        splitting: true,
        format: 'esm',
        platform: 'browser',
        outdir: dir,
        metafile: true,
        logLevel: 'silent',
        absWorkingDir: app,
      });
      const outputs = metafile.outputs;
      const first = Object.keys(outputs).find((k) => outputs[k]!.entryPoint);
      const seen = new Set<string>();
      for (const stack = [first!]; stack.length;) {
        const file = stack.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const i of outputs[file]!.imports) if (i.kind === 'import-statement') stack.push(i.path);
      }
      const code = Buffer.concat([...seen].map((f) => readFileSync(join(app, f))));
      return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it(`single-op entries bundle at most ${SINGLE_OP_BUDGET * 100}% of the whole library (minified, gzip)`, async () => {
    const whole = await startupBytes('simdconv');
    const lines = [`simdconv: ${whole.minified} B minified, ${whole.gzip} B gzip`];
    for (const entry of ['simdconv/conv2d', 'simdconv/conv3d', 'simdconv/convTranspose2d', 'simdconv/pool']) {
      const one = await startupBytes(entry);
      const ratio = one.gzip / whole.gzip;
      lines.push(`${entry}: ${one.minified} B minified, ${one.gzip} B gzip (${(ratio * 100).toFixed(1)}%)`);
      expect(ratio, lines.join('\n')).toBeLessThanOrEqual(SINGLE_OP_BUDGET);
    }
    console.log(lines.join('\n'));
  });

  it('types check in a strict project with skipLibCheck: false (main, single-op and WebGPU entries)', () => {
    const project = join(app, 'typed');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, 'main.ts'),
      `import { init, conv2d, createConv2d, type Tensor, SimdconvError } from 'simdconv';
import { conv3d } from 'simdconv/conv3d';
import { maxPool2d, type IndexTensor } from 'simdconv/pool';
import { initWebGPU, type GpuTensor } from 'simdconv/webgpu';
import 'simdconv/winograd';
const x: Tensor = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
export async function main(): Promise<number> {
  await init({ threads: 'auto' });
  const plan = createConv2d(x, null, { padding: 'same', activation: 'relu' });
  const gpu = await initWebGPU({ fallback: 'none' });
  const resident: GpuTensor = gpu.createConv2d(x).runResident(x);
  const device: GPUDevice | null = gpu.device;
  const indices: IndexTensor = maxPool2d(x, { kernelSize: 2, returnIndices: true }).indices;
  const pooled: Tensor = await gpu.avgPool2d(x, { kernelSize: [2, 1], padding: [1, 0] });
  void device, resident, conv3d, SimdconvError, indices, pooled;
  return conv2d(x, x).data[0]! + plan.run(x).data[0]!;
}
`,
    );
    for (const moduleResolution of ['nodenext', 'bundler']) {
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            target: 'es2022',
            lib: ['es2022', 'dom'],
            module: moduleResolution === 'bundler' ? 'esnext' : 'nodenext',
            moduleResolution,
            types: [],
          },
          files: ['main.ts'],
        }),
      );
      try {
        execFileSync(process.execPath, [bin('typescript', 'bin/tsc'), '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        const err = e as { stdout?: string; message: string };
        expect.fail(`tsc (moduleResolution ${moduleResolution}) failed:\n${err.stdout ?? err.message}`);
      }
    }
  });
});
