import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Job {
  needs?: string | string[];
  environment?: string;
  steps: { uses?: string; run?: string; with?: Record<string, string> }[];
  permissions?: Record<string, string>;
}

describe('.github/workflows/delivery.yaml', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/delivery.yaml'), 'utf8')) as {
    jobs: Record<string, Job>;
  };
  const jobs = workflow.jobs;
  const needs = (name: string) => [jobs[name]!.needs ?? []].flat();

  it('runs test → image → staging → approved production, in that order', () => {
    expect(Object.keys(jobs)).toEqual(['test', 'image', 'deploy-staging', 'deploy-production']);
    expect(needs('test')).toEqual([]);
    expect(needs('image')).toEqual(['test']);
    expect(needs('deploy-staging')).toEqual(['image']);
    expect(needs('deploy-production')).toContain('deploy-staging');
    // The approval: the production environment's required reviewers gate this job.
    expect(jobs['deploy-production']!.environment).toBe('production');
    expect(jobs['deploy-staging']!.environment).toBe('staging');
  });

  it('tests with .ci/run, pushes to GHCR, deploys each overlay', () => {
    expect(jobs.test!.steps.some((step) => step.run?.includes('.ci/run'))).toBe(true);
    expect(jobs.image!.permissions?.packages).toBe('write');
    const push = jobs.image!.steps.find((step) =>
      step.uses?.startsWith('docker/build-push-action'),
    );
    expect(push?.with?.push).toBe(true);
    expect(jobs['deploy-staging']!.steps.at(-1)!.with!.overlay).toBe('staging');
    expect(jobs['deploy-production']!.steps.at(-1)!.with!.overlay).toBe('production');
    const action = readFileSync(join(ROOT, '.github/actions/deploy-keel/action.yaml'), 'utf8');
    expect(action).toMatch(
      /delete job keel-migrate[\s\S]*apply -k[\s\S]*wait --for=condition=complete job\/keel-migrate[\s\S]*rollout status/,
    );
  });
});
