import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installRoot } from '../config/config.js';
import { createMemoryPubSub } from '../events/pubsub-memory.js';
import { SqliteStore } from '../store/sqlite.js';
import { ACTIVE_RECHECK_MS, PolicyService } from './policy-service.js';

describe('policy versions and activations', () => {
  let store: SqliteStore;
  let dir: string;
  let service: PolicyService;

  beforeEach(async () => {
    const root = mkdtempSync(join(tmpdir(), 'keel-policy-'));
    dir = join(root, 'policies');
    cpSync(join(installRoot, 'policies'), dir, { recursive: true });
    store = await SqliteStore.open(join(root, 'keel.db'));
    service = new PolicyService(store, dir);
  });
  afterEach(() => store.close());

  const editPolicy = (from: string, to: string) => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
  };

  it('activates the files on disk on first start, and pins that version', async () => {
    const first = await service.current();
    expect(first.policy.id).toBe('keel-default');
    editPolicy('maxChars: 8000', 'maxChars: 100');
    expect((await service.current()).version).toBe(first.version);
    expect((await service.current()).policy.input.maxChars).toBe(8000);
  });

  it('activate snapshots the disk; rollback restores the exact content that ran before', async () => {
    const first = await service.current();
    editPolicy('maxChars: 8000', 'maxChars: 100');
    const activation = await service.activate(undefined, {
      actor: 'test',
      reason: 'tighter limit',
    });
    expect(activation.previousVersion).toBe(first.version);
    expect((await service.current()).policy.input.maxChars).toBe(100);

    const rollback = await service.rollback({ actor: 'test', reason: 'too strict' });
    expect(rollback).toMatchObject({
      version: first.version,
      previousVersion: activation.version,
      reason: 'too strict',
    });
    expect((await service.current()).policy.input.maxChars).toBe(8000);

    const { versions, activations } = await service.list();
    expect(activations.map((entry) => entry.version)).toEqual([
      first.version,
      activation.version,
      first.version,
    ]);
    expect(versions.find((entry) => entry.active)?.version).toBe(first.version);
  });

  it('diffs two versions file by file and resolves short prefixes', async () => {
    const first = await service.current();
    editPolicy('maxChars: 8000', 'maxChars: 100');
    const second = await service.activate(undefined, { actor: 'test', reason: 'x' });
    const diff = await service.diff(first.version.slice(0, 6), second.version);
    expect(diff).toContain('-  maxChars: 8000');
    expect(diff).toContain('+  maxChars: 100');
    expect(await service.diff(second.version, 'disk')).toBe('');
  });

  it('refuses invalid policy files with the file and field named, and keeps the running version', async () => {
    const running = await service.current();
    editPolicy('grounding: refuse', 'grounding: sometimes');
    await expect(service.activate(undefined, { actor: 'test', reason: 'x' })).rejects.toThrow(
      /policy\.yaml is invalid: output\.grounding/,
    );
    expect((await service.current()).version).toBe(running.version);
  });

  it('explains when there is nothing to roll back to, and rejects unknown versions', async () => {
    await service.current();
    await expect(service.rollback({ actor: 'test', reason: '' })).rejects.toMatchObject({
      code: 'nothing_to_roll_back',
    });
    await expect(service.activate('ffffffff', { actor: 'test', reason: '' })).rejects.toMatchObject(
      { code: 'policy_version_not_found' },
    );
    await expect(service.activate('zz', { actor: 'test', reason: '' })).rejects.toMatchObject({
      code: 'policy_version_invalid',
    });
  });

  it('serves the active version from memory: many calls, one database read', async () => {
    await service.current();
    const reads = vi.spyOn(store, 'listActivations');
    const bundles = await Promise.all(Array.from({ length: 20 }, () => service.current()));
    expect(new Set(bundles.map((bundle) => bundle.version)).size).toBe(1);
    expect(reads).not.toHaveBeenCalled();
  });

  it('another process sees an activation at once through pub/sub, or within the recheck without it', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const bus = new EventEmitter();
    const [here, there, deaf] = [
      new PolicyService(store, dir, undefined, clock),
      new PolicyService(store, dir, undefined, clock),
      new PolicyService(store, dir, undefined, clock),
    ];
    await here.listen(createMemoryPubSub({ bus }));
    await there.listen(createMemoryPubSub({ bus }));
    const first = await here.current();
    expect((await there.current()).version).toBe(first.version);
    expect((await deaf.current()).version).toBe(first.version);

    editPolicy('maxChars: 8000', 'maxChars: 100');
    const activation = await here.activate(undefined, { actor: 'test', reason: 'tighter' });
    await vi.waitFor(async () => expect((await there.current()).version).toBe(activation.version));
    expect((await here.current()).version).toBe(activation.version);
    // No event reaches `deaf` (a CLI on the SQLite file has no channel to the server).
    expect((await deaf.current()).version).toBe(first.version);
    now += ACTIVE_RECHECK_MS;
    expect((await deaf.current()).version).toBe(activation.version);
  });
});

describe('policy file defaults', () => {
  it('gives a policy.yaml without an input section the documented input limits', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keel-policy-defaults-'));
    const dir = join(root, 'policies');
    cpSync(join(installRoot, 'policies'), dir, { recursive: true });
    writeFileSync(join(dir, 'policy.yaml'), 'id: minimal\n');
    const store = await SqliteStore.open(join(root, 'keel.db'));
    try {
      const { policy } = await new PolicyService(store, dir).current();
      expect(policy.input).toMatchObject({ maxChars: 8000, pii: { card: 'block' }, topics: [] });
      expect(policy.canary).toMatchObject({ windowSeconds: 1800, minCalls: 50 });
    } finally {
      await store.close();
    }
  });
});
