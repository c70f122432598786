/**
 * What the bundler tests need: the package packed as npm publishes it, fixture apps with that tarball installed
 * in their node_modules, the bundlers' own command lines, a static server (optionally cross-origin isolated)
 * and headless Chromium reading the page's result. Fixtures live in test/bundlers/fixtures/<name>; they are
 * copied to .fixtures/<name> in the repository, so that the bundlers and plugins resolve from the repository's
 * node_modules while `simdconv` resolves to the tarball's copy in the fixture's own node_modules.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FIXTURES = join(ROOT, 'test/bundlers/fixtures');
const WORK = join(ROOT, '.fixtures');
const require = createRequire(join(ROOT, 'package.json'));

export const CHROMIUM = process.env.SIMDCONV_CHROMIUM ?? '/usr/bin/chromium';
// shared/notes/webgpu-on-cpu.md: WebGPU needs --enable-unsafe-webgpu in headless Chromium on Linux.
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

/** `npm pack` of the repository as it is built (dist/, wasm/): the file npm would publish. */
export function pack(): string {
  const dest = mkdtempSync(join(tmpdir(), 'simdconv-pack-'));
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [packed] = JSON.parse(out) as Array<{ filename: string }>;
  return join(dest, packed!.filename);
}

/**
 * Copies fixture `name` (and shared/check.js into `checkDir` inside it) to .fixtures/<name>, with a package.json
 * of an ESM app and the tarball unpacked as node_modules/simdconv, as `npm install <tarball>` leaves it. A fixture
 * without an index.html gets shared/index.html (a module script /main.js); one with `base` is that fixture with
 * its own files on top (a config file, say).
 */
export function makeFixture(name: string, tarball: string, checkDir = '.', base?: string): string {
  const dir = makeApp(join(FIXTURES, base ?? name), name, tarball);
  if (base) cpSync(join(FIXTURES, name), dir, { recursive: true });
  cpSync(join(FIXTURES, 'shared/check.js'), join(dir, checkDir, 'check.js'));
  if (!existsSync(join(dir, 'index.html'))) cpSync(join(FIXTURES, 'shared/index.html'), join(dir, 'index.html'));
  return dir;
}

/** Copies the app at `source` to .fixtures/<name> and installs the tarball there (as makeFixture). */
export function makeApp(source: string, name: string, tarball: string): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `fixture-${name}`, private: true, type: 'module' }, null, 2));
  const pkg = join(dir, 'node_modules/simdconv');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  return dir;
}

/** A package's bin script, resolved from the repository (the fixtures' devDependencies). */
export function bin(pkg: string, path: string): string {
  return join(require.resolve(`${pkg}/package.json`).slice(0, -'/package.json'.length), path);
}

/** A bin script runs under this Node; a native one (esbuild's, once installed) runs as it is. */
function command(file: string, args: string[]): [string, string[]] {
  const head = readFileSync(file).subarray(0, 2).toString('latin1');
  return head === '#!' || /\.[cm]?js$/.test(file) ? [process.execPath, [file, ...args]] : [file, args];
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cwd: string, file: string, args: string[], timeout = 180_000): string {
  try {
    return execFileSync(...command(file, args), { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** Starts a long-running command and resolves once its output matches `ready` (with the match). */
export function start(
  cwd: string,
  file: string,
  args: string[],
  ready: RegExp,
  timeout = 60_000,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(...command(file, args), { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`${file} ${args.join(' ')} did not print ${ready} within ${timeout} ms:\n${output}`));
    }, timeout);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        ok({ child, match, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${file} ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `root` on 127.0.0.1 (nothing outside it; '/' is index.html). `isolated` adds the two headers that make a
 * page cross-origin isolated, which SharedArrayBuffer and so wasm threads need; `cdn` the headers a CDN sends so
 * that pages of other origins may use the files (CORS, and Cross-Origin-Resource-Policy for isolated pages).
 */
export function serve(root: string, isolated = false, cdn = false): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    if (cdn) Object.assign(headers, { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' });
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

export type Playwright = typeof import('playwright-core');
type BrowserContext = Awaited<ReturnType<Playwright['chromium']['launchPersistentContext']>>;
export type Page = Awaited<ReturnType<BrowserContext['newPage']>>;

/** Why the browser tests cannot run here (no Chromium, no playwright-core), or null. */
export async function browserMissing(): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (scripts/setup-webgpu.sh installs it; or set SIMDCONV_CHROMIUM)`;
  try {
    await import('playwright-core');
    return null;
  } catch (e) {
    return `playwright-core is not installed (${(e as Error).message})`;
  }
}

export class Browser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<Browser> {
    const playwright = (await import('playwright-core')) as Playwright;
    const profile = mkdtempSync(join(tmpdir(), 'simdconv-chromium-'));
    const context = await playwright.chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return new Browser(context, profile);
  }

  /**
   * Opens `url` and waits for the page's `window.simdconvResult` (test/bundlers/fixtures/shared/check.js).
   * Returns it with the console lines, page errors and failed requests seen meanwhile.
   */
  async result(url: string, timeout = 60_000, then?: (page: Page) => Promise<void>): Promise<{ result: Record<string, unknown>; logs: string[] }> {
    const page = await this.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    page.on('requestfailed', (r) => logs.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) logs.push(`[http ${r.status()}] ${r.url()}`);
    });
    try {
      await page.goto(url);
      const handle = await page
        .waitForFunction(() => (globalThis as { simdconvResult?: unknown }).simdconvResult, null, { timeout })
        .catch((e: Error) => {
          throw new Error(`${url}: no result within ${timeout} ms (${e.message})\n${logs.join('\n')}`);
        });
      const result = (await handle.jsonValue()) as Record<string, unknown>;
      await then?.(page);
      return { result, logs };
    } finally {
      await page.close();
    }
  }

  /** Serves `root` (cross-origin isolated when asked), opens `path` there and returns the page's result. */
  async open(
    root: string,
    path = '/',
    isolated = false,
    timeout?: number,
    then?: (page: Page) => Promise<void>,
  ): Promise<{ result: Record<string, unknown>; logs: string[] }> {
    const { server, url } = await serve(root, isolated);
    try {
      return await this.result(new URL(path, url).href, timeout, then);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}
