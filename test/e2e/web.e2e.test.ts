import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ENV } from '../helpers/auth-fixtures.js';
import { seriesKey } from '../../src/jobs/processors/predictions.js';
import { createTestKeel } from '../helpers/test-keel.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ROOT,
  armFirstTokenTimer,
  ensureWebBuild,
  readFirstTokenMs,
  screenshot,
  screenshotFolder,
  startStaticHost,
} from './web-harness.js';

const hasChromium = existsSync(CHROMIUM);
const missing = `Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

const DESKTOP = { width: 1280, height: 820 };
const PHONE = { width: 360, height: 740 };
const ADMIN = { email: 'admin@example.com', password: 'a long passphrase 42' };

/** Waits until the locator's text matches (the UI updates after network round trips). */
async function waitForText(locator: Locator, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.textContent().catch(() => '')) ?? '';
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${pattern} in: ${text.slice(0, 300)}`);
}

/**
 * The web app in Debian's Chromium against a real Keel with sign-in on: the journeys of issue 5.
 * The tests run in order and share one browser session, as one person would click through.
 */
// CI installs Chromium (.ci/run): there a missing browser fails the tests instead of skipping them.
describe.skipIf(skipUnlessCi(hasChromium, missing))('web app in Chromium', () => {
  let keel: Awaited<ReturnType<typeof createTestKeel>>;
  let host: Awaited<ReturnType<typeof startStaticHost>>;
  let apiOrigin = '';
  let appOrigin = '';
  let setupToken = '';
  let policiesDir = '';
  let context: BrowserContext;
  let page: Page;
  const shots = screenshotFolder();

  beforeAll(async () => {
    if (!hasChromium) throw new Error(missing);
    ensureWebBuild();
    policiesDir = mkdtempSync(join(tmpdir(), 'keel-web-policies-'));
    cpSync(join(ROOT, 'policies'), policiesDir, { recursive: true });
    host = await startStaticHost(() => ({ apiOrigin, authEnabled: true, setupRequired: true }));
    keel = await createTestKeel({
      ...AUTH_ENV,
      KEEL_POLICIES_DIR: policiesDir,
      KEEL_CORS_ORIGINS: host.origin,
    });
    setupToken = (await keel.keel.accounts.issueSetupToken()) ?? '';
    expect(setupToken).not.toBe('');
    await keel.app.listen({ port: 0, host: '127.0.0.1' });
    const address = keel.app.server.address();
    if (!address || typeof address === 'string') throw new Error('Keel has no port');
    apiOrigin = `http://127.0.0.1:${address.port}`;
    // Keel serves the app at `/` itself; a Keel without the web folder is driven the CDN way.
    const root = await fetch(`${apiOrigin}/`).then((response) => response.text());
    appOrigin = root.includes('id="root"') ? apiOrigin : host.origin;
    context = await chromium.launchPersistentContext(
      mkdtempSync(join(tmpdir(), 'keel-chromium-')),
      { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: DESKTOP },
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    // The browser's console errors land in the test output, so a failure says what the app saw.
    page.on('console', (message) => {
      if (message.type() === 'error') console.warn(`browser: ${message.text()}`);
    });
    page.on('pageerror', (error) => console.warn(`browser: ${error.message}`));
  }, 240_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page)
      await screenshot(page, shots, `failed-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await context?.close();
    await keel?.close();
    host?.server.close();
  });

  it('creates the first admin with the setup token, and keeps no token where scripts read', async () => {
    await page.goto(`${appOrigin}/`);
    await page.getByLabel('Setup token').fill(setupToken);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('New password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await screenshot(page, shots, '01-first-run-signed-in');

    expect(
      await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)'),
    ).toBe('{}{}');
    // The session survives a reload through the httpOnly refresh cookie alone.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await waitForText(page.locator('.account'), /admin@example\.com/);
  }, 90_000);

  it('streams an answer and opens a cited passage beside it', async () => {
    await page.goto(`${appOrigin}/#/chat`);
    await armFirstTokenTimer(page);
    const question = page.getByLabel('Your question');
    await question.fill('How do I roll back a policy?');
    await question.press('Enter');
    const chip = page.getByRole('button', { name: /^Citation 1:/ }).first();
    await chip.waitFor();
    const firstTokenMs = await readFirstTokenMs(page);
    expect(firstTokenMs).toBeGreaterThan(0);
    writeFileSync(join(shots, 'first-token.json'), JSON.stringify({ firstTokenMs }, null, 2));
    console.log(`time to first answer token in the browser: ${firstTokenMs.toFixed(0)} ms`);

    await chip.click();
    const panel = page.getByRole('complementary', { name: 'Cited passage 1' });
    await waitForText(panel, /policies\.md/);
    await waitForText(panel.getByLabel('Passage text'), /roll/i);
    const history = page.getByRole('navigation', { name: 'Conversation history' });
    await waitForText(history, /How do I roll back a policy\?/);
    await screenshot(page, shots, '02-answer-with-citation');
    await page.setViewportSize(PHONE);
    await screenshot(page, shots, '02-answer-with-citation-360px');
    await page.setViewportSize(DESKTOP);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  }, 90_000);

  it('shows a question asked in one tab in a second tab open on the same conversation', async () => {
    await page.waitForURL(/#\/chat\/[^/]+$/);
    const second = await context.newPage();
    try {
      await second.goto(page.url());
      const log = second.locator('.messages');
      await waitForText(log, /How do I roll back a policy\?/);
      const question = page.getByLabel('Your question');
      await question.fill('Where are background jobs kept?');
      await question.press('Enter');
      // No reload, no click: the realtime channel brings the exchange to the other tab.
      await waitForText(log, /Where are background jobs kept\?/);
      await screenshot(second, shots, '02b-second-tab-live');
    } finally {
      await second.close();
    }
  }, 90_000);

  it('adds a folder source and syncs it, showing counts and errors per file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keel-web-docs-'));
    mkdirSync(join(folder, 'guide'));
    writeFileSync(
      join(folder, 'guide', 'boats.md'),
      '# Boats\n\n## Keels\n\nA keel keeps a boat upright.\n',
    );
    writeFileSync(join(folder, 'sails.md'), '# Sails\n\nSails catch the wind.\n');
    writeFileSync(join(folder, 'broken.json'), '{ not json');

    await page.goto(`${appOrigin}/#/knowledge`);
    await page.getByLabel('Name', { exact: true }).fill('e2e-docs');
    await page.getByLabel('Folder path').fill(folder);
    await page.getByRole('button', { name: 'Add source' }).click();
    await page.getByRole('button', { name: 'Sync e2e-docs now' }).click();
    const card = page.getByRole('listitem', { name: 'Source e2e-docs' });
    await waitForText(card, /1 file with errors/, 60_000);
    await waitForText(card.locator('.facts'), /Documents\s*2/);
    await waitForText(card.locator('.badge'), /ok|completed|partial|error/);
    await screenshot(page, shots, '03-source-synced');
  }, 90_000);

  it('creates an API key shown once, then revokes it', async () => {
    await page.goto(`${appOrigin}/#/admin/keys`);
    await page.getByLabel('Key name').fill('e2e-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByLabel('New API key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^keel_/);
    const search = () =>
      fetch(`${apiOrigin}/v1/kb/search?q=policy`, { headers: { authorization: `Bearer ${key}` } });
    expect((await search()).status).toBe(200);
    await screenshot(page, shots, '04-api-key-created');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke key e2e-key' }).click();
    await waitForText(page.locator('table.data'), /revoked/);
    expect((await search()).status).toBe(401);
    await screenshot(page, shots, '04-api-key-revoked');
  }, 90_000);

  it('activates a changed policy, shows the diff, and rolls back', async () => {
    await page.goto(`${appOrigin}/#/admin/policies`);
    const active = page.getByTestId('active-version');
    const before = (await waitForText(active, /^[0-9a-f]{6,}$/)).trim();
    appendFileSync(join(policiesDir, 'policy.yaml'), '\n# changed by the web e2e test\n');

    await page.getByLabel('Reason (recorded with the change)').fill('e2e: try the new file');
    await page.getByRole('button', { name: 'Activate the files on disk' }).click();
    await waitForText(page.locator('.notice'), /Activated/);
    const after = (await waitForText(active, new RegExp(`^(?!${before}$)[0-9a-f]{6,}$`))).trim();
    expect(after).not.toBe(before);
    await waitForText(page.locator('.diff'), /policy\.yaml[\s\S]*changed by the web e2e test/);
    await screenshot(page, shots, '05-policy-activated-diff');

    await page.getByRole('button', { name: 'Roll back to the previous version' }).click();
    await waitForText(page.locator('.notice'), /Rolled back/);
    await waitForText(active, new RegExp(`^${before}$`));
    const history = page.getByRole('table', { name: 'Activation history' });
    await waitForText(history, /rolled back|rollback/i);
    await screenshot(page, shots, '05-policy-rolled-back');
  }, 90_000);

  it('starts a policy canary, shows its live comparison, stops it and lists it', async () => {
    await page.goto(`${appOrigin}/#/admin/policies`);
    await page.getByLabel('Canary version').waitFor();
    const candidate = await page
      .getByLabel('Canary version')
      .locator('option')
      .nth(1)
      .getAttribute('value');
    await page.getByLabel('Canary version').selectOption(candidate ?? '');
    await page.getByLabel('Share of users (%)').fill('50');
    await page.getByRole('button', { name: 'Start the canary' }).click();
    const running = page.getByTestId('canary-running');
    await waitForText(running, /serves 50 % of users/);
    await waitForText(page.getByRole('table', { name: 'Canary comparison' }), /Refusal rate/);
    await screenshot(page, shots, '05-policy-canary-running');

    await page.getByRole('button', { name: 'Stop the canary' }).click();
    await waitForText(page.getByRole('table', { name: 'Canary history' }), /stopped/);
    await screenshot(page, shots, '05-policy-canary-stopped');
  }, 90_000);

  it('signs out and signs in again, and fits a 360 px screen', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.setViewportSize(PHONE);
    await page.goto(`${appOrigin}/#/chat`);
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(Number(overflow)).toBeLessThanOrEqual(0);
    await screenshot(page, shots, '06-signed-in-360px');
    // Wide tables scroll inside their box; nothing in them (a visually hidden header) may widen
    // the page itself.
    for (const route of ['jobs', 'admin/keys', 'admin/users']) {
      await page.goto(`${appOrigin}/#/${route}`);
      await page.locator('table.data').first().waitFor();
      const wide = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(Number(wide), route).toBeLessThanOrEqual(0);
    }
  }, 90_000);

  it('invites a user who sets a password from the link and signs in as a user', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${appOrigin}/#/admin/users`);
    await page.getByLabel('E-mail to invite').fill('invited@example.com');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = (await waitForText(page.locator('.secret-value'), /#\/invite\//)).trim();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    await page.goto(link);
    await page.getByLabel('New password').fill('another long passphrase');
    await page.getByRole('button', { name: 'Accept your invitation' }).click();
    await waitForText(page.locator('.account'), /invited@example\.com/);
    await page.goto(`${appOrigin}/#/admin`);
    // A user sees their own API keys and the policies, not the user list or the audit log.
    await waitForText(
      page.getByRole('navigation', { name: 'Admin sections' }),
      /^API keysPolicies$/,
    );
    await screenshot(page, shots, '07-invited-user');
  }, 90_000);
  it('shows what a finished job stored: a forecast of an uploaded series', async () => {
    const rows = Array.from(
      { length: 30 },
      (_, day) => `2024-01-${String(day + 1).padStart(2, '0')},${100 + day * 3}`,
    );
    await keel.keel.blobs.put(
      seriesKey('default', 'e2e-views'),
      Buffer.from(`timestamp,value\n${rows.join('\n')}\n`),
    );
    const job = await keel.keel.jobs.enqueue('predictions', {
      workspaceId: 'default',
      seriesId: 'e2e-views',
      horizon: 5,
    });
    const events: string[] = [];
    for await (const event of keel.keel.jobs.events(job.id)) events.push(event.type);
    expect(events.at(-1)).toBe('job-completed');

    await page.goto(`${appOrigin}/#/jobs`);
    await waitForText(page.locator('table.data'), /series e2e-views, 5 steps/);
    await page.getByRole('button', { name: `Show the output of job ${job.id}` }).click();
    const output = page.locator('.job-output');
    await waitForText(output, /holt-linear/);
    expect(await output.getByRole('link', { name: 'Download' }).getAttribute('download')).toBe(
      `predictions-${job.id}.json`,
    );
    await screenshot(page, shots, '08-job-output');
  }, 90_000);

  it('uploads files with progress and errors per file, and offers example questions', async () => {
    await page.setViewportSize(DESKTOP);
    // The invite test left a plain user signed in; uploads take a manager or admin.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${appOrigin}/#/knowledge`);
    const fixtures = join(ROOT, 'test', 'fixtures', 'uploads');
    await page.getByLabel('Files to upload').setInputFiles([
      {
        name: 'lamp.pdf',
        mimeType: 'application/pdf',
        buffer: readFileSync(join(fixtures, 'lamp.pdf')),
      },
      {
        name: 'broken.pdf',
        mimeType: 'application/pdf',
        buffer: readFileSync(join(fixtures, 'corrupt.pdf')),
      },
    ]);
    const lamp = page.getByRole('listitem', { name: 'Upload lamp.pdf' });
    const broken = page.getByRole('listitem', { name: 'Upload broken.pdf' });
    await waitForText(lamp, /Indexed/, 60_000);
    await waitForText(broken, /Not added.*broken\.pdf/, 60_000);
    // The user reads what went wrong, not the API's internal code.
    expect(await broken.textContent()).not.toMatch(/file_unreadable/);
    await screenshot(page, shots, '09-knowledge-upload');

    await page.goto(`${appOrigin}/#/chat`);
    await page
      .getByRole('button', { name: 'New chat' })
      .click()
      .catch(() => undefined);
    const examples = page.getByRole('group', { name: 'Example questions' });
    await examples.getByRole('button').first().waitFor();
    expect(await examples.getByRole('button').count()).toBeGreaterThanOrEqual(2);
    await examples.getByRole('button', { name: 'What is Keel?' }).click();
    const answer = page.getByRole('article', { name: 'Answer' }).last();
    await waitForText(answer, /composed without a language model/, 60_000);
    await screenshot(page, shots, '10-chat-example-answered');
  }, 150_000);

  it('keeps the action buttons of Jobs and Users on a 390 px screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [route, button] of [
      ['jobs', /^(Show|Hide) the output of job/],
      ['admin/users', /^(Enable|Disable) /],
    ] as const) {
      await page.goto(`${appOrigin}/#/${route}`);
      const first = page.locator('table.data').getByRole('button', { name: button }).first();
      await first.waitFor();
      const box = await first.boundingBox();
      expect(box, route).not.toBeNull();
      expect(box!.x, route).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, route).toBeLessThanOrEqual(390);
      const wide = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(Number(wide), route).toBeLessThanOrEqual(0);
      await screenshot(page, shots, `11-${route.replace('/', '-')}-390px`);
    }
  }, 90_000);

  it('shows the memories an answer used, and lets the user forget them and turn memory off', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${appOrigin}/#/chat`);
    const ask = async (question: string) => {
      await page
        .getByRole('button', { name: 'New chat' })
        .click()
        .catch(() => undefined);
      await page.getByLabel('Your question').fill(question);
      await page.getByLabel('Your question').press('Enter');
      const answer = page.getByRole('article', { name: 'Answer' }).last();
      await waitForText(answer, /Copy/, 60_000);
      return answer;
    };
    await ask('I work at Acme Shipping. How do I roll back a policy?');
    // The memory job runs after the answer: the Memory page lists the fact once it has.
    const list = page.locator('table.data');
    for (let attempt = 0; attempt < 40; attempt++) {
      await page.goto(`${appOrigin}/#/memory`);
      await page.getByRole('heading', { name: 'Memory' }).waitFor();
      await page
        .getByText(/Nothing remembered yet|Acme/)
        .first()
        .waitFor();
      if (await list.isVisible()) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await waitForText(list, /I work at Acme Shipping\./);

    await page.goto(`${appOrigin}/#/chat`);
    const answer = await ask('Which shipping settings does a policy have?');
    await answer.getByText('used 1 memory').click();
    await waitForText(
      answer.getByRole('list', { name: 'Memories used for this answer' }),
      /I work at Acme Shipping\./,
    );
    await screenshot(page, shots, '12-answer-used-memory');

    await page.goto(`${appOrigin}/#/memory`);
    const remember = page.getByLabel('Remember what I tell the agents and use it in my answers');
    expect(await remember.isChecked()).toBe(true);
    await remember.uncheck();
    await page.reload();
    await page.getByRole('heading', { name: 'Memory' }).waitFor();
    await remember.waitFor();
    expect(await remember.isChecked()).toBe(false);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Forget I work at Acme Shipping.' }).click();
    await page.getByText('Nothing remembered yet.').waitFor();
    await screenshot(page, shots, '12-memory-page');
  }, 150_000);

  it('creates a schedule in the Jobs page, shows its next run, pauses, resumes and deletes it', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${appOrigin}/#/jobs`);
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Schedule name').fill('nightly-forecast');
    await form.getByLabel('Queue').selectOption('predictions');
    await form.getByLabel('Cron expression').fill('not a cron');
    await form.getByLabel('Time zone').fill('Europe/Lisbon');
    await form.getByLabel('Payload (JSON)').fill('{"seriesId": "views", "horizon": 24}');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    // The server's reason, in words, and nothing created.
    await waitForText(page.locator('.form-error'), /cron/i);
    await form.getByLabel('Cron expression').fill('0 3 * * *');
    await form.getByRole('button', { name: 'Create schedule' }).click();

    const section = page.getByRole('region', { name: 'Schedules' });
    const row = section.locator('tr', { hasText: 'nightly-forecast' });
    await waitForText(row, /0 3 \* \* \*.*Europe\/Lisbon/);
    expect(await row.textContent()).not.toMatch(/paused/);
    // The next run is 03:00 in Lisbon, which in December is 03:00 UTC (the browser's zone here).
    expect(await row.textContent()).toMatch(/\b0?3:00\b/);
    await screenshot(page, shots, '13-schedule-created');

    await section.getByRole('button', { name: 'Pause schedule nightly-forecast' }).click();
    await waitForText(row, /paused/);
    await page.reload();
    await waitForText(row, /paused/);
    await section.getByRole('button', { name: 'Resume schedule nightly-forecast' }).click();
    await section.getByRole('button', { name: 'Pause schedule nightly-forecast' }).waitFor();
    expect(await row.textContent()).not.toMatch(/paused/);

    page.once('dialog', (dialog) => void dialog.accept());
    await section.getByRole('button', { name: 'Delete schedule nightly-forecast' }).click();
    await section.getByText('No schedules.').waitFor();
    await screenshot(page, shots, '13-schedule-deleted');
  }, 90_000);
});
