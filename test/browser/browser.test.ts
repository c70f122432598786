/**
 * The built package in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * loads test/browser/index.html from a local http server on 127.0.0.1 that serves the repository, and the page
 * (test/browser/page.js) imports dist/index.js and dist/webgpu.js as ES modules, runs conv2d on the wasm backend
 * and on WebGPU (Chromium's SwiftShader adapter without a GPU) and checks both against a float64 reference.
 *
 * Needs `npm run build` (dist/, wasm/), Chromium and playwright-core (scripts/setup-webgpu.sh installs Chromium).
 * When one is missing: with SIMDCONV_REQUIRE_BROWSER=1 the test fails, otherwise it is reported as skipped with
 * the reason.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REQUIRE = process.env.SIMDCONV_REQUIRE_BROWSER === '1';
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHROMIUM = process.env.SIMDCONV_CHROMIUM ?? '/usr/bin/chromium';
// Flags from shared/notes/webgpu-on-cpu.md: WebGPU needs --enable-unsafe-webgpu in headless Chromium on Linux.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Serves files under the repository root (nothing outside it), '/' being the test page. */
function serve(): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(ROOT, `.${path === '/' ? '/test/browser/index.html' : path}`);
    if (!file.startsWith(ROOT + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

type Playwright = typeof import('playwright-core');

async function prerequisites(): Promise<{ playwright: Playwright; missing: null } | { playwright: null; missing: string }> {
  const built = ['dist/index.js', 'dist/webgpu.js', 'wasm/simdconv-simd128.wasm'].filter((f) => !existsSync(join(ROOT, f)));
  if (built.length) return { playwright: null, missing: `${built.join(', ')} not built (run npm run build)` };
  if (!existsSync(CHROMIUM)) return { playwright: null, missing: `no Chromium at ${CHROMIUM} (scripts/setup-webgpu.sh installs it; or set SIMDCONV_CHROMIUM)` };
  try {
    return { playwright: await import('playwright-core'), missing: null };
  } catch (e) {
    return { playwright: null, missing: `playwright-core is not installed (${(e as Error).message})` };
  }
}

interface Comparison {
  ok: boolean;
  worstErrorOverBound?: number;
  why?: string;
}
interface PageResult {
  userAgent: string;
  hasNavigatorGpu: boolean;
  wasm: Comparison & { backend: string; build: string | null };
  webgpu: Comparison & { backend?: string; adapter?: { name: string; isFallbackAdapter: boolean }; kernel?: string; chained?: Comparison; error?: string };
}

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('browser (headless Chromium)', () => {
  it('runs conv2d from the built package on wasm and on WebGPU, matching a float64 reference', async (t) => {
    const { playwright, missing } = await prerequisites();
    if (!playwright) {
      if (REQUIRE) expect.fail(`SIMDCONV_REQUIRE_BROWSER=1 but ${missing}`);
      console.warn(`browser test SKIPPED: ${missing}; set SIMDCONV_REQUIRE_BROWSER=1 to make this a failure.`);
      t.skip(`browser test skipped: ${missing}`);
      return;
    }
    const server = await serve();
    cleanup.push(() => new Promise<void>((ok) => server.close(() => ok())));
    const profile = mkdtempSync(join(tmpdir(), 'simdconv-chromium-'));
    cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
    const browser = await playwright.chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    cleanup.push(() => browser.close());

    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (window as { simdconvBrowserCheck?: unknown }).simdconvBrowserCheck === 'function', null, { timeout: 30_000 }).catch(() => {
      throw new Error(`the test page did not load:\n${logs.join('\n')}`);
    });
    const result = (await page.evaluate(() => (window as unknown as { simdconvBrowserCheck: () => Promise<unknown> }).simdconvBrowserCheck())) as PageResult;
    console.log(`browser: ${result.userAgent}\n  wasm: ${JSON.stringify(result.wasm)}\n  webgpu: ${JSON.stringify(result.webgpu)}`);

    expect(result.wasm, logs.join('\n')).toMatchObject({ backend: 'wasm', ok: true });
    expect(result.hasNavigatorGpu).toBe(true);
    expect(result.webgpu, logs.join('\n')).toMatchObject({ backend: 'webgpu', ok: true, chained: { ok: true } });
  });
});
