import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/config.js';
import { KEEL_VARIABLES, SECRET_VARIABLES, withSecretFiles } from './deploy-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMPOSE = join(ROOT, 'deploy', 'compose');

interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  ports?: string[];
  networks?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  secrets?: (string | { source: string; target: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean }>;
  secrets?: Record<string, { file?: string }>;
}

function load(name: string): ComposeFile {
  // merge: Compose resolves `<<: *anchor` keys; so does this parse.
  return parse(readFileSync(join(COMPOSE, name), 'utf8'), { merge: true }) as ComposeFile;
}

const keelServices = (file: ComposeFile) =>
  Object.entries(file.services).filter(([, service]) => service.image?.includes('keel'));

function seconds(duration: string | undefined): number {
  const match = /^(\d+)s$/.exec(duration ?? '');
  return match ? Number(match[1]) : 0;
}

describe('deploy/compose/compose.yaml (single process)', () => {
  const file = load('compose.yaml');
  const [name, keel] = Object.entries(file.services)[0]!;

  it('is one keel serve process with one volume and no configuration', () => {
    expect(Object.keys(file.services)).toEqual([name]);
    expect(keel.command).toEqual(['serve']);
    expect(keel.environment).toBeUndefined();
    expect(Object.keys(file.volumes ?? {})).toHaveLength(1);
    expect(keel.volumes).toEqual([`${Object.keys(file.volumes!)[0]}:/data`]);
  });

  it('runs on a read-only root filesystem, published on loopback only, with a healthcheck', () => {
    expect(keel.read_only).toBe(true);
    expect(keel.tmpfs).toContain('/tmp');
    expect(keel.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(keel.healthcheck?.test.join(' ')).toContain('/health/live');
  });
});

describe('deploy/compose/compose.server.yaml (server mode)', () => {
  const file = load('compose.server.yaml');
  const services = file.services;
  const keel = keelServices(file);

  it('has the processes of server mode and its stores', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'caddy',
        'migrate',
        'minio',
        'minio-init',
        'orchestrator',
        'postgres',
        'redis',
        'worker',
      ].sort(),
    );
    expect(keel.map(([name]) => name).sort()).toEqual(
      ['api', 'migrate', 'orchestrator', 'worker'].sort(),
    );
    expect(services.api!.command).toEqual(['api']);
    expect(services.api!.deploy?.replicas).toBe(2);
    expect(services.orchestrator!.command).toEqual(['orchestrator']);
    expect(services.worker!.command?.[0]).toBe('worker');
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.postgres!.image).toMatch(/^pgvector\/pgvector:pg\d+$/);
  });

  it('publishes only the reverse proxy; the orchestrator shares no network with it', () => {
    const published = Object.entries(services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['caddy']);
    const proxyNetworks = new Set(services.caddy!.networks);
    expect(services.orchestrator!.ports).toBeUndefined();
    expect(services.orchestrator!.networks!.filter((n) => proxyNetworks.has(n))).toEqual([]);
    expect(services.orchestrator!.networks).toContain('backend');
    expect(file.networks!.backend!.internal).toBe(true);
    // The proxy forwards to the api replicas and nothing else; /metrics stays inside.
    const caddyfile = readFileSync(join(COMPOSE, 'Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/name api\b/);
    expect(caddyfile).not.toMatch(/orchestrator|worker|:8081|:8082/);
    expect(caddyfile).toMatch(/@metrics path \/metrics\s+respond @metrics 404/);
    expect(services.caddy!.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
  });

  it('runs migrate once, first: every Keel process waits for it to complete', () => {
    expect(services.migrate!.restart).toBe('no');
    expect(services.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const [name, service] of keel.filter(([name]) => name !== 'migrate')) {
      expect(service.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      expect(service.depends_on?.['minio-init']?.condition, name).toBe(
        'service_completed_successfully',
      );
    }
  });

  it('gives every long-running service a healthcheck on its own port', () => {
    const oneShots = Object.entries(services).filter(([, service]) => service.restart === 'no');
    expect(oneShots.map(([name]) => name).sort()).toEqual(['migrate', 'minio-init']);
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no') continue;
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
      expect(service.healthcheck!.test.join(' '), name).not.toMatch(/\bcurl\b/);
    }
    expect(services.api!.healthcheck!.test.join(' ')).toContain(':8080/health/live');
    expect(services.orchestrator!.healthcheck!.test.join(' ')).toContain(':8081/health/live');
    expect(services.worker!.healthcheck!.test.join(' ')).toContain(':8082/health/live');
    // Compose waits this long before killing a worker: longer than its 25 s drain.
    expect(seconds(services.worker!.stop_grace_period)).toBeGreaterThan(25);
  });

  it('mounts the policies read-only into every Keel process, on a read-only root filesystem', () => {
    for (const [name, service] of keel) {
      expect(service.volumes, name).toContain('../../policies:/app/policies:ro');
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toContain('/tmp');
    }
  });

  it('passes every secret as a Compose secret file through *_FILE, never inline', () => {
    const declared = file.secrets ?? {};
    for (const secret of Object.values(declared)) expect(secret.file).toMatch(/^\.\/secrets\//);
    for (const [name, service] of Object.entries(services)) {
      const env = service.environment ?? {};
      const mounted = new Set(
        (service.secrets ?? []).map((secret) =>
          typeof secret === 'string' ? secret : secret.source,
        ),
      );
      for (const mount of mounted) expect(declared, `${name}: ${mount}`).toHaveProperty(mount);
      for (const [variable, value] of Object.entries(env)) {
        if (variable.endsWith('_FILE')) {
          const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
          expect(secret && mounted.has(secret), `${name}: ${variable}=${value}`).toBe(true);
        }
        expect(variable, name).not.toMatch(/PASSWORD$|SECRET$|_KEY$|SECRET_KEY$/);
      }
      // Secret variables whose value carries no credential (a URL without a password) only.
      for (const variable of SECRET_VARIABLES.filter((v) => v in env)) {
        expect(['DATABASE_URL', 'REDIS_URL'], `${name}: ${variable} inline`).toContain(variable);
        expect(new URL(env[variable]!).password, `${name}: ${variable}`).toBe('');
      }
    }
    expect(services.postgres!.environment!.POSTGRES_PASSWORD_FILE).toBe(
      '/run/secrets/postgres_password',
    );
  });

  it('sets only variables Keel knows, and they make a valid production configuration', () => {
    for (const [name, service] of keel) {
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(KEEL_VARIABLES.has(variable), `${name}: ${variable}`).toBe(true);
      }
      const env = withSecretFiles({
        ...service.environment!,
        // Compose substitutes this at `up`; the default is what a first run gets.
        KEEL_CORS_ORIGINS: 'https://localhost',
      });
      const { problems } = checkConfig({ env, file: '/nonexistent/keel.yaml' });
      expect(problems, name).toEqual([]);
    }
    expect(services.api!.environment!.KEEL_PROFILE).toBe('production');
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');

  it('builds in stages on Node 22 slim and installs production dependencies only', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-[a-z-]*slim$/m);
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
  });

  it('runs keel as a non-root user, with a Node healthcheck on /health/live', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/health\/live/);
    expect(healthcheck.split('\n').slice(0, 2).join('\n')).not.toMatch(/\b(curl|wget)\b/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"\/app\/bin\/keel\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["serve"\]$/m);
    expect(dockerfile).toMatch(/KEEL_DATA_DIR=\/data/);
  });

  it('keeps local state, dependencies and secrets out of the build context', () => {
    for (const entry of [
      'node_modules',
      'dist',
      'data',
      '.env',
      'deploy/compose/secrets',
      '.git',
    ]) {
      expect(ignored, entry).toContain(entry);
    }
  });
});
