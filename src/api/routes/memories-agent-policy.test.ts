import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  activatePolicyFiles,
  type BearerHeaders,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';
import { installRoot } from '../../config/config.js';

/*
 * Memory is on for the bundled agents without any configuration, and an admin turns it off for
 * one agent by editing its policy file and activating the new version over HTTP.
 */
describe('long-term memory per agent, as the policy says', () => {
  let fixture: AuthFixture;
  let alice: BearerHeaders;
  const policies = join(mkdtempSync(join(tmpdir(), 'keel-policies-')), 'policies');

  const chat = (message: string, agent: string) =>
    fixture.app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: alice,
      payload: { message, agent },
    });
  const memoryTexts = async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/v1/memories',
      headers: alice,
    });
    return response.json<{ memories: { text: string }[] }>().memories.map((item) => item.text);
  };
  const waitForMemories = async (count: number) => {
    const deadline = Date.now() + 20_000;
    while ((await memoryTexts()).length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return memoryTexts();
  };

  beforeAll(async () => {
    cpSync(join(installRoot, 'policies'), policies, { recursive: true });
    fixture = await createAuthFixture({ KEEL_POLICIES_DIR: policies });
    alice = fixture.a.user.headers;
  }, 120_000);
  afterAll(() => fixture?.close());

  it('has memory on for every bundled agent by default', async () => {
    const bundle = await fixture.harness.keel.policies.current();
    expect(bundle.agents.map((agent) => [agent.id, agent.memory])).toEqual([
      ['general', { enabled: true, k: 5 }],
      ['keel-docs', { enabled: true, k: 5 }],
    ]);
    const first = await chat('I work at Acme Shipping. How do I roll back a policy?', 'general');
    expect(first.statusCode, first.body).toBe(200);
    expect(await waitForMemories(1)).toEqual(['I work at Acme Shipping.']);
    for (const agent of ['general', 'keel-docs']) {
      const later = await chat('Which shipping settings does a policy have?', agent);
      expect(later.json().memories.map((item: { text: string }) => item.text)).toEqual([
        'I work at Acme Shipping.',
      ]);
    }
  });

  it('stops reading and learning memories for the agent an admin turned it off for', async () => {
    const file = join(policies, 'agents/general.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}memory:\n  enabled: false\n`);
    await activatePolicyFiles(fixture.app, fixture.admin, 'no memory for the general agent');

    const off = await chat(
      'Which shipping settings does a policy have? I live in Oslo.',
      'general',
    );
    expect(off.json().memories).toEqual([]);
    const [audit] = await fixture.harness.keel.store.listAudit({ traceId: off.json().traceId });
    expect(audit!.steps.find((step) => step.id === 'memory')).toMatchObject({
      decision: 'off',
      reasons: ['agent policy'],
    });
    // The other agent still has memory on.
    const docs = await chat('Which shipping settings does a policy have?', 'keel-docs');
    expect(docs.json().memories).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await memoryTexts()).toEqual(['I work at Acme Shipping.']);
  });
});
