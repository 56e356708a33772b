import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/api/app.js';
import { syncBundledKnowledge } from '../src/keel.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  armFirstTokenTimer,
  ensureWebBuild,
  readFirstTokenMs,
  startStaticHost,
} from '../test/e2e/web-harness.js';
import { isEntryPoint, newWorkDir, openBenchKeel, removeWorkDir, writeResult } from './harness.js';
import { summarize } from './stats.js';

const QUESTIONS = [
  'How do I roll back a policy?',
  'Which variables select the provider?',
  'How do I sync a knowledge source?',
  'What does the chat answer object contain?',
  'How are API keys scoped?',
  'How do I create the first admin?',
  'What is hybrid retrieval?',
  'How are refresh tokens rotated?',
  'Which health probes does Keel have?',
  'How do I back up Keel?',
];

/**
 * Time to the first answer token as a person sees it: Chromium on the built app, Enter pressed in
 * the question box, until streamed text is on screen (and until the answer is complete). Keel runs
 * in process with the extractive provider, so the figure is the app + API + governor path, not a
 * model's latency.
 */
export async function runWebFirstToken(rounds = QUESTIONS.length) {
  ensureWebBuild();
  const workDir = await newWorkDir('web');
  let apiOrigin = '';
  const host = await startStaticHost(() => ({
    apiOrigin,
    authEnabled: false,
    setupRequired: false,
  }));
  const keel = await openBenchKeel(workDir, {
    bundledKnowledge: true,
    env: { KEEL_CORS_ORIGINS: host.origin },
  });
  await syncBundledKnowledge(keel);
  const app = await buildApp(keel);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  apiOrigin = `http://127.0.0.1:${address.port}`;
  const served = (await fetch(`${apiOrigin}/`).then((response) => response.text())).includes(
    'id="root"',
  );
  const appOrigin = served ? apiOrigin : host.origin;
  const context = await chromium.launchPersistentContext(
    mkdtempSync(join(tmpdir(), 'keel-bench-chromium-')),
    {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 820 },
    },
  );
  const firstToken: number[] = [];
  const complete: number[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    for (let round = 0; round < rounds; round++) {
      await page.goto(`${appOrigin}/#/chat`);
      await page.reload();
      await armFirstTokenTimer(page);
      const question = page.getByLabel('Your question');
      await question.fill(QUESTIONS[round % QUESTIONS.length] ?? 'What is Keel?');
      const started = Date.now();
      await question.press('Enter');
      await page.locator('article.message.assistant .message-actions').waitFor({ timeout: 30_000 });
      complete.push(Date.now() - started);
      firstToken.push(await readFirstTokenMs(page));
    }
  } finally {
    await context.close();
    await app.close();
    await keel.close();
    host.server.close();
    await removeWorkDir(workDir);
  }
  return {
    rounds,
    servedBy: served ? 'keel' : 'static host (CDN mode)',
    firstTokenMs: summarize(firstToken),
    answerCompleteMs: summarize(complete),
  };
}

if (isEntryPoint(import.meta.url)) {
  const result = await runWebFirstToken();
  console.log(
    `web: first answer token p50 ${result.firstTokenMs.p50} ms (max ${result.firstTokenMs.max} ms), ` +
      `answer complete p50 ${result.answerCompleteMs.p50} ms, ${result.rounds} questions, app served by ${result.servedBy}`,
  );
  console.log(
    `written to ${await writeResult('web-first-token', { command: 'npm run bench:web', ...result })}`,
  );
}
