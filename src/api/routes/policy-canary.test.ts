import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';
import { installRoot } from '../../config/config.js';

describe('policy canary over HTTP', () => {
  let fixture: AuthFixture;
  let base: string;
  let trial: string;
  const post = (url: string, payload: Record<string, unknown>) =>
    fixture.app.inject({ method: 'POST', url, headers: fixture.admin.headers, payload });
  const status = async () =>
    (
      await fixture.app.inject({
        method: 'GET',
        url: '/v1/policies/canary',
        headers: fixture.admin.headers,
      })
    ).json();

  beforeAll(async () => {
    const policiesDir = join(mkdtempSync(join(tmpdir(), 'keel-policies-')), 'policies');
    cpSync(join(installRoot, 'policies'), policiesDir, { recursive: true });
    fixture = await createAuthFixture({ KEEL_POLICIES_DIR: policiesDir }, { bundled: false });
    base = (await fixture.harness.keel.policies.current()).version;
    appendFileSync(join(policiesDir, 'policy.yaml'), '\ncanary:\n  minCalls: 5\n');
    trial = (await fixture.harness.keel.policies.snapshotDisk()).version;
  });
  afterAll(() => fixture.close());

  it.each([
    [{ version: 'ffffffffff', percent: 10 }, 404, 'policy_version_not_found'],
    [{ version: 'ffffffffff', percent: 0 }, 400, 'invalid_request'],
    [{ version: 'ffffffffff', percent: 12.5 }, 400, 'invalid_request'],
    [{ version: 'ffffffffff' }, 400, 'invalid_request'],
    [{ version: 'not hex!', percent: 10 }, 400, 'policy_version_invalid'],
  ])('refuses %j with %i %s, starting nothing', async (body, statusCode, code) => {
    const response = await post('/v1/policies/canary', body);
    expect(response.statusCode, response.body).toBe(statusCode);
    expect(response.json().error.code).toBe(code);
    expect((await status()).canary).toBeNull();
  });

  it('starts, shows and stops a canary, each step in the audit log', async () => {
    const active = await post('/v1/policies/canary', { version: base, percent: 10 });
    expect(active.json().error.code).toBe('canary_is_active');
    expect((await post('/v1/policies/canary/stop', {})).statusCode).toBe(404);

    const started = await post('/v1/policies/canary', {
      version: trial.slice(0, 6),
      percent: 25,
      reason: 'try minCalls 5',
    });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({ version: trial, baseVersion: base, percent: 25 });
    const again = await post('/v1/policies/canary', { version: trial, percent: 50 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('canary_running');

    const running = await status();
    expect(running.canary).toMatchObject({ version: trial, percent: 25 });
    expect(running.comparison).toMatchObject({
      canary: { version: trial, calls: 0 },
      active: { version: base },
      settings: { minCalls: 50 },
      verdict: { decision: 'continue' },
    });

    const stopped = await post('/v1/policies/canary/stop', { reason: 'enough' });
    expect(stopped.statusCode, stopped.body).toBe(200);
    expect(stopped.json().ended).toMatchObject({ outcome: 'stopped', reason: 'enough' });
    const after = await status();
    expect(after.canary).toBeNull();
    expect(after.history[0]).toMatchObject({ version: trial, ended: { outcome: 'stopped' } });

    const audit = await fixture.app.inject({
      method: 'GET',
      url: '/v1/audit?action=policy.canary.start',
      headers: fixture.admin.headers,
    });
    expect(audit.statusCode, audit.body).toBe(200);
    expect(JSON.stringify(audit.json())).toContain('percent: 25');
  });
});
