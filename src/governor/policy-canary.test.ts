import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installRoot } from '../config/config.js';
import type { Keel } from '../keel.js';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { servesCanary } from './canary-split.js';
import { CANARY_ACTOR, CanaryService } from './policy-canary.js';

describe('which users a canary serves', () => {
  it('is sticky per user and serves the asked share of users, drawn afresh per canary', () => {
    const users = Array.from({ length: 10_000 }, (_, index) => `user-${index}`);
    const first = users.filter((user) => servesCanary({ id: 'canary-a', percent: 10 }, user));
    expect(first.length / users.length).toBeGreaterThan(0.09);
    expect(first.length / users.length).toBeLessThan(0.11);
    // The same user, the same canary: the same version, call after call.
    for (const user of first.slice(0, 50))
      expect(servesCanary({ id: 'canary-a', percent: 10 }, user)).toBe(true);
    const second = users.filter((user) => servesCanary({ id: 'canary-b', percent: 10 }, user));
    const overlap = second.filter((user) => first.includes(user)).length;
    // Independent draws overlap on about 10 % of 10 %, not on all of them.
    expect(overlap / first.length).toBeLessThan(0.2);
    expect(
      users.filter((user) => servesCanary({ id: 'canary-a', percent: 100 }, user)),
    ).toHaveLength(users.length);
  });
});

describe('canary rollout of a policy version', () => {
  let keel: Keel;
  let close: () => Promise<void>;
  let policiesDir: string;
  let now = 0;
  let canaries: CanaryService;

  const setPolicy = (edit: (text: string) => string) => {
    const file = join(policiesDir, 'policy.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  };

  beforeEach(async () => {
    policiesDir = join(mkdtempSync(join(tmpdir(), 'keel-canary-')), 'policies');
    cpSync(join(installRoot, 'policies'), policiesDir, { recursive: true });
    appendFileSync(
      join(policiesDir, 'policy.yaml'),
      '\ncanary:\n  windowSeconds: 600\n  minCalls: 12\n  maxRefusalRateIncrease: 0.1\n',
    );
    const test = await createTestKeel({ KEEL_POLICIES_DIR: policiesDir }, { worker: false });
    keel = test.keel;
    close = test.close;
    now = 0;
    canaries = new CanaryService({
      store: keel.store,
      policies: keel.policies,
      secret: keel.config.secret,
      clock: () => Date.now() + now,
    });
  });
  afterEach(() => close());

  /** One governed question from each of `count` users; refusals are outcomes too. */
  const askAsUsers = async (count: number, message: string) => {
    for (let index = 0; index < count; index += 1) {
      await keel.governor
        .answer({ message }, { userId: `user-${index}` })
        .catch((error: { status?: number }) => {
          if (error.status !== 422) throw error;
        });
    }
  };

  const canaryEntries = async () =>
    (await keel.store.listAudit({ limit: 200 }))
      .filter((record) => record.kind.startsWith('policy.canary.'))
      .reverse();

  it('serves the canary to its users only, and rolls it back when it refuses more', async () => {
    const base = await keel.policies.current();
    setPolicy((text) =>
      text.replace(
        'topics: []',
        'topics: [{ id: rollback, pattern: "roll ?back", reason: "Not discussed here" }]',
      ),
    );
    const trial = await keel.policies.snapshotDisk();
    const canary = await canaries.start(trial.version, 50, { actor: 'test', reason: 'stricter' });
    expect(canary).toMatchObject({ version: trial.version, baseVersion: base.version });

    const inCanary = Array.from({ length: 60 }, (_, index) => `user-${index}`).filter((user) =>
      servesCanary(canary, user),
    );
    expect((await keel.policies.current(inCanary[0])).version).toBe(trial.version);
    expect((await keel.policies.current()).version).toBe(base.version);

    await askAsUsers(60, 'How do I roll back a policy version?');
    const { comparison } = await canaries.status();
    expect(comparison?.canary).toMatchObject({ calls: inCanary.length, refusalRate: 1 });
    expect(comparison?.active.calls).toBe(60 - inCanary.length);
    expect(comparison?.verdict.decision).toBe('rollback');

    const ended = await canaries.evaluate();
    expect(ended?.ended).toMatchObject({ outcome: 'rolled_back', by: CANARY_ACTOR });
    expect(ended?.ended?.reason).toMatch(/^refusal rate 100\.0% against/);
    // Every process reads the state again at once or within a second; this one at once.
    expect((await keel.policies.current(inCanary[0])).version).toBe(base.version);
    expect(await canaries.evaluate()).toBeUndefined();

    const entries = await canaryEntries();
    expect(entries.map((entry) => entry.kind)).toEqual([
      'policy.canary.start',
      'policy.canary.rollback',
    ]);
    expect(entries[1]).toMatchObject({ actor: CANARY_ACTOR, target: `policy:${trial.version}` });
    const figures = entries[1]!.steps[0]!.reasons.join('\n');
    expect(figures).toContain(`canary ${trial.version}: ${inCanary.length} calls, refusals 100.0%`);
    expect(figures).toContain('percent: 50');
  });

  it('promotes a canary that stays within the thresholds once the window has passed', async () => {
    const base = await keel.policies.current();
    setPolicy((text) => text.replace('maxChars: 8000', 'maxChars: 9000'));
    const trial = await keel.policies.snapshotDisk();
    await canaries.start(trial.version, 50, { actor: 'test' });
    await askAsUsers(60, 'How do I roll back a policy version?');

    expect(await canaries.evaluate()).toBeUndefined();
    expect((await canaries.status()).comparison?.verdict.reasons[0]).toMatch(/of the window left/);
    now += 601_000;
    const ended = await canaries.evaluate();
    expect(ended?.ended).toMatchObject({ outcome: 'promoted', by: CANARY_ACTOR });
    expect((await keel.policies.current()).version).toBe(trial.version);
    const [activation] = (await keel.policies.list()).activations;
    expect(activation).toMatchObject({ version: trial.version, previousVersion: base.version });
    expect((await canaryEntries()).map((entry) => entry.kind)).toEqual([
      'policy.canary.start',
      'policy.canary.promote',
    ]);
  });

  it('waits for the minimum of canary calls, and refuses a second canary or the active version', async () => {
    const base = await keel.policies.current();
    setPolicy((text) => text.replace('maxChars: 8000', 'maxChars: 7000'));
    const trial = await keel.policies.snapshotDisk();
    await expect(canaries.start(base.version, 10, { actor: 'test' })).rejects.toMatchObject({
      code: 'canary_is_active',
    });
    await expect(canaries.start(trial.version, 0, { actor: 'test' })).rejects.toMatchObject({
      code: 'canary_percent_invalid',
    });
    await canaries.start(trial.version, 10, { actor: 'test' });
    await expect(canaries.start(trial.version, 20, { actor: 'test' })).rejects.toMatchObject({
      code: 'canary_running',
      status: 409,
    });
    now += 601_000;
    expect(await canaries.evaluate()).toBeUndefined();
    expect((await canaries.status()).comparison?.verdict.reasons[0]).toMatch(
      /^0 of 12 canary calls needed/,
    );
    const stopped = await canaries.stop({ actor: 'test', reason: 'not now' });
    expect(stopped.ended).toMatchObject({ outcome: 'stopped', reason: 'not now' });
    await expect(canaries.stop({ actor: 'test' })).rejects.toMatchObject({
      code: 'canary_not_running',
    });
    expect((await canaries.status()).history.map((entry) => entry.ended?.outcome)).toEqual([
      'stopped',
    ]);
  });
});
