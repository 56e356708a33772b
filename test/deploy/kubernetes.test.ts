import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/config.js';
import { readPolicyFiles } from '../../src/governor/policy-bundle.js';
import { WORKER_CLOSE_TIMEOUT_MS } from '../../src/jobs/worker.js';
import { SECRET_VARIABLES, withSecretFiles } from './deploy-helpers.js';

/**
 * Renders each Kustomize overlay with `kubectl kustomize`, validates every object against the
 * Kubernetes API schemas (kubernetes-models, offline) and checks what the issue asks of them.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const KUBERNETES = join(ROOT, 'deploy', 'kubernetes');
const OVERLAYS = ['dev', 'staging', 'production'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML, checked below
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML
type Container = Record<string, any>;

function kubectl(): string | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return 'kubectl';
  } catch {
    return undefined;
  }
}

function render(overlay: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', join(KUBERNETES, 'overlays', overlay)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAllDocuments(output).map((document) => document.toJS() as K8sObject);
}

/** The model class of an object's apiVersion and kind, from kubernetes-models. */
async function validate(object: K8sObject): Promise<void> {
  const path = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
  const models = (await import(/* @vite-ignore */ `kubernetes-models/${path}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = models[object.kind];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

function podSpec(object: K8sObject): K8sObject['spec'] | undefined {
  if (object.kind === 'CronJob') return object.spec.jobTemplate.spec.template.spec;
  if (['Deployment', 'Job'].includes(object.kind)) return object.spec.template.spec;
  return undefined;
}

const overlayFile = (overlay: string) =>
  parse(readFileSync(join(KUBERNETES, 'overlays', overlay, 'kustomization.yaml'), 'utf8')) as {
    images: { newTag: string }[];
    configMapGenerator: { literals: string[] }[];
  };

function literal(overlay: string, name: string): string | undefined {
  const line = overlayFile(overlay).configMapGenerator[0]!.literals.find((entry) =>
    entry.startsWith(`${name}=`),
  );
  return line?.slice(name.length + 1);
}

const available = kubectl();
if (!available && process.env.CI) {
  throw new Error(
    'kubectl is not installed: .ci/run installs it (Debian package kubernetes-client)',
  );
}

describe.skipIf(!available)('deploy/kubernetes overlays rendered with kubectl kustomize', () => {
  const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, render(overlay)]));
  const find = (overlay: string, kind: string, name: string) =>
    rendered[overlay]!.find((object) => object.kind === kind && object.metadata.name === name)!;

  it.each(OVERLAYS)('%s: every object is valid against the Kubernetes API schemas', async (o) => {
    expect(rendered[o]!.length).toBeGreaterThan(10);
    for (const object of rendered[o]!) await validate(object);
    // The schemas are strict enough to fail a wrong type: a port written as text.
    const broken = structuredClone(find(o, 'Deployment', 'keel-api'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    await expect(validate(broken)).rejects.toThrow(/containerPort must be integer/);
  });

  it.each(OVERLAYS)('%s: has every part the cluster deployment needs', (o) => {
    const names = (kind: string) =>
      rendered[o]!.filter((object) => object.kind === kind)
        .map((object) => object.metadata.name)
        .sort();
    expect(names('Deployment')).toEqual(['keel-api', 'keel-orchestrator', 'keel-worker']);
    expect(names('Service')).toEqual(['keel-api', 'keel-orchestrator', 'keel-worker']);
    expect(names('PodDisruptionBudget')).toEqual(['keel-api', 'keel-orchestrator', 'keel-worker']);
    const hpas = rendered[o]!.filter((object) => object.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((hpa) => hpa.spec.scaleTargetRef.name).sort()).toEqual([
      'keel-api',
      'keel-worker',
    ]);
    expect(find(o, 'Job', 'keel-migrate').spec.template.spec.containers[0].args).toEqual([
      'migrate',
    ]);
    const backup = find(o, 'CronJob', 'keel-backup');
    expect(backup.spec.jobTemplate.spec.template.spec.containers[0].args[0]).toBe('backup');
    expect(backup.spec.concurrencyPolicy).toBe('Forbid');
    for (const object of rendered[o]!) {
      if (object.metadata.name !== 'keel-policies' && object.kind !== 'ServiceAccount') {
        expect((object.metadata as { namespace?: string }).namespace).toBe(`keel-${o}`);
      }
    }
  });

  it.each(OVERLAYS)('%s: only the api is exposed, and the orchestrator only to api pods', (o) => {
    const ingresses = rendered[o]!.filter((object) => object.kind === 'Ingress');
    const backends = ingresses.flatMap((ingress) =>
      ingress.spec.rules.flatMap((rule: K8sObject) =>
        rule.http.paths.map((path: K8sObject) => path.backend.service.name),
      ),
    );
    expect(backends).toEqual(['keel-api']);
    for (const service of rendered[o]!.filter((object) => object.kind === 'Service')) {
      expect(service.spec.type ?? 'ClusterIP', service.metadata.name).toBe('ClusterIP');
    }
    const podLabels = (name: string) =>
      find(o, 'Deployment', name).spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    const policies = rendered[o]!.filter((object) => object.kind === 'NetworkPolicy');
    const guarding = policies.filter((policy) =>
      matches(policy.spec.podSelector.matchLabels, podLabels('keel-orchestrator')),
    );
    expect(guarding).toHaveLength(1);
    const [policy] = guarding;
    expect(policy!.spec.policyTypes).toEqual(['Ingress']);
    const sources = policy!.spec.ingress.flatMap((rule: K8sObject) => rule.from);
    expect(sources).toHaveLength(1);
    expect(sources[0].namespaceSelector).toBeUndefined();
    expect(sources[0].ipBlock).toBeUndefined();
    // The one source selects the api pods and neither of the other Keel processes.
    expect(matches(sources[0].podSelector.matchLabels, podLabels('keel-api'))).toBe(true);
    for (const other of ['keel-orchestrator', 'keel-worker']) {
      expect(matches(sources[0].podSelector.matchLabels, podLabels(other)), other).toBe(false);
    }
    expect(policy!.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8081 }]);
  });

  it.each(OVERLAYS)('%s: every container has limits, a non-root read-only context', (o) => {
    for (const object of rendered[o]!) {
      const spec = podSpec(object);
      if (!spec) continue;
      expect(spec.securityContext.runAsNonRoot, object.metadata.name).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      const containers: Container[] = [...(spec.initContainers ?? []), ...spec.containers];
      for (const container of containers) {
        const where = `${object.kind}/${object.metadata.name}/${container.name}`;
        for (const side of ['requests', 'limits']) {
          expect(container.resources?.[side]?.cpu, `${where} ${side}`).toBeDefined();
          expect(container.resources?.[side]?.memory, `${where} ${side}`).toBeDefined();
        }
        expect(container.securityContext.readOnlyRootFilesystem, where).toBe(true);
        expect(container.securityContext.allowPrivilegeEscalation, where).toBe(false);
        expect(container.securityContext.capabilities.drop, where).toEqual(['ALL']);
        const mounts = container.volumeMounts as { mountPath: string; readOnly?: boolean }[];
        expect(mounts.find((mount) => mount.mountPath === '/app/policies')?.readOnly).toBe(true);
        expect(mounts.map((mount) => mount.mountPath)).toContain('/tmp');
      }
    }
  });

  it.each(OVERLAYS)('%s: Deployments probe their own port; the worker outlasts its drain', (o) => {
    const ports = { 'keel-api': 8080, 'keel-orchestrator': 8081, 'keel-worker': 8082 };
    for (const [name, port] of Object.entries(ports)) {
      const spec = find(o, 'Deployment', name).spec.template.spec;
      const [container] = spec.containers as Container[];
      expect(container!.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(container!.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container!.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container!.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      // The new version migrates before it serves.
      expect(spec.initContainers.map((init: Container) => init.args)).toEqual([['migrate']]);
      expect(spec.terminationGracePeriodSeconds * 1000, name).toBeGreaterThan(
        WORKER_CLOSE_TIMEOUT_MS,
      );
    }
  });

  it.each(OVERLAYS)('%s: mounts every policy file from the ConfigMap at its path', async (o) => {
    const files = await readPolicyFiles(join(ROOT, 'policies'));
    const configMap = find(
      o,
      'ConfigMap',
      rendered[o]!.find((object) => object.metadata.name.startsWith('keel-policies'))!.metadata
        .name,
    );
    for (const object of rendered[o]!) {
      const spec = podSpec(object);
      if (!spec) continue;
      const volume = spec.volumes.find((entry: K8sObject) => entry.name === 'policies');
      expect(volume.configMap.name).toBe(configMap.metadata.name);
      const mounted = Object.fromEntries(
        volume.configMap.items.map((item: { key: string; path: string }) => [
          item.path,
          configMap.data[item.key],
        ]),
      );
      expect(mounted).toEqual(files);
    }
  });

  it.each(OVERLAYS)('%s: secrets are referenced by name and read from files', (o) => {
    expect(rendered[o]!.filter((object) => object.kind === 'Secret')).toEqual([]);
    const config = rendered[o]!.find((object) => object.metadata.name.startsWith('keel-config'))!;
    const env = config.data as Record<string, string>;
    for (const variable of SECRET_VARIABLES.filter((name) => name in env)) {
      expect(['DATABASE_URL', 'REDIS_URL'], `${variable} inline`).toContain(variable);
      expect(new URL(env[variable]!).password).toBe('');
    }
    for (const [variable, value] of Object.entries(env).filter(([name]) =>
      name.endsWith('_FILE'),
    )) {
      expect(value, variable).toMatch(/^\/run\/secrets\/keel\/[a-z0-9.-]+$/);
    }
    for (const object of rendered[o]!) {
      const spec = podSpec(object);
      if (!spec) continue;
      const secretVolumes = spec.volumes.filter((volume: K8sObject) => volume.secret);
      expect(secretVolumes.map((volume: K8sObject) => volume.secret.secretName)).toEqual([
        'keel-secrets',
      ]);
    }
    // The settings, with the mounted files in place, are a configuration Keel accepts.
    const { problems } = checkConfig({ env: withSecretFiles(env), file: '/nonexistent.yaml' });
    expect(problems).toEqual([]);
  });

  it('pins each environment to its own image tag and policy version', () => {
    for (const o of OVERLAYS) {
      const env = rendered[o]!.find((object) => object.metadata.name.startsWith('keel-config'))!
        .data as Record<string, string>;
      const pin = literal(o, 'KEEL_POLICY_VERSION');
      expect(pin, o).toMatch(/^[0-9a-f]{12}$/);
      expect(env.KEEL_POLICY_VERSION, o).toBe(pin);
      const tag = overlayFile(o).images[0]!.newTag;
      for (const object of rendered[o]!) {
        const spec = podSpec(object);
        if (!spec) continue;
        for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
          expect(container.image, `${o} ${object.metadata.name}`).toBe(
            `ghcr.io/keel-dev/keel:${tag}`,
          );
        }
      }
    }
    const profiles = OVERLAYS.map((o) => literal(o, 'KEEL_PROFILE'));
    expect(profiles).toEqual(['development', 'staging', 'production']);
    const tags = OVERLAYS.map((o) => overlayFile(o).images[0]!.newTag);
    expect(new Set(tags).size).toBe(3);
    expect(literal('production', 'KEEL_POLICY_VERSION')).not.toBe(
      literal('dev', 'KEEL_POLICY_VERSION'),
    );
  });
});
