import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureWebBuild as buildWeb } from '../../scripts/build-web.js';

/** Helpers for the browser end-to-end tests: the built app, a CDN stand-in, screenshots. */
export const ROOT = join(import.meta.dirname, '..', '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');
export const CHROMIUM = process.env.KEEL_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, reproducible headless Chromium that never talks to the network on its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Builds `web/dist` when it is missing or older than the app's sources (shared with `npm start`). */
export function ensureWebBuild(): void {
  buildWeb({ quiet: true });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `web/dist` the way a CDN would, with `/config.json` pointing the app at an API on
 * another origin. Used when the Keel under test does not serve the app itself.
 */
export async function startStaticHost(
  config: () => object,
): Promise<{ origin: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
    if (path === '/config.json') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(config()));
      return;
    }
    const file = normalize(join(WEB_DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(WEB_DIST + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('static host has no port');
  return { origin: `http://127.0.0.1:${address.port}`, server };
}

/** `test-results/screenshots/<run id>/`: one folder per run, named by CI or by the start time. */
export function screenshotFolder(): string {
  const runId =
    process.env.KEEL_TEST_RUN_ID ??
    process.env.GITHUB_RUN_ID ??
    new Date().toISOString().replace(/[:.]/g, '-');
  const folder = join(ROOT, 'test-results', 'screenshots', runId);
  mkdirSync(folder, { recursive: true });
  return folder;
}

export async function screenshot(page: Page, folder: string, name: string): Promise<void> {
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
}

/**
 * Time from pressing Enter in the question box to the first streamed answer text on screen, as
 * the browser sees it: a keydown listener stamps the start, a MutationObserver the first text.
 * The scripts are strings because this project's Node typings have no DOM.
 */
const FIRST_TOKEN_TIMER = `(() => {
  const state = { start: 0, first: 0 };
  window.__firstToken = state;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !state.start) state.start = performance.now();
  }, { capture: true });
  const observer = new MutationObserver(() => {
    const answers = document.querySelectorAll('article.message.assistant .markdown');
    const last = answers[answers.length - 1];
    if (state.start && !state.first && last && last.textContent.trim().length > 0) {
      state.first = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
})()`;

export async function armFirstTokenTimer(page: Page): Promise<void> {
  await page.evaluate(FIRST_TOKEN_TIMER);
}

export async function readFirstTokenMs(page: Page): Promise<number> {
  return Number(await page.evaluate('window.__firstToken.first - window.__firstToken.start'));
}
