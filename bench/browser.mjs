// What the benchmarks' browser pages share (bench/cold-start.mjs, bench/webgpu-page.mjs): simdconv packed as a
// user installs it, a page folder built with Vite's defaults, a static server, and headless Chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm pack` of the repository as built; resolves the tarball's path (in a temporary folder: `done()` removes it). */
export function pack() {
  const dir = mkdtempSync(join(tmpdir(), 'simdconv-pack-'));
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  return { tarball: join(dir, filename), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A page folder: package.json, index.html loading /main.js, main.js; simdconv from `tarball` in its node_modules. */
export function pageFolder(dir, main, tarball) {
  mkdirSync(join(dir, 'public'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="/main.js"></script>');
  writeFileSync(join(dir, 'main.js'), main);
  if (tarball) {
    mkdirSync(join(dir, 'node_modules/simdconv'), { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', join(dir, 'node_modules/simdconv'), '--strip-components=1']);
  }
}

/** `vite build` in `dir` (its own config, else Vite's defaults); returns the dist folder. */
export function viteBuild(dir) {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: dir, stdio: 'inherit' });
  return join(dir, 'dist');
}

/**
 * Headless Chromium (Debian's, or SIMDCONV_CHROMIUM) on a fresh profile; `webgpu` adds --enable-unsafe-webgpu
 * (shared/notes/webgpu-on-cpu.md). Resolves { browser, close() }.
 */
export async function launchChromium({ webgpu = false } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'simdconv-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.SIMDCONV_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const MIME = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** A static server of `root` on 127.0.0.1 (no caching; only files under root); resolves { server, url }. */
export function serve(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(root + sep)) return res.writeHead(403).end();
    let body;
    try {
      body = readFileSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}
