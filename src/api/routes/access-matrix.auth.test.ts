/**
 * The role × route matrix: who may call which route. This comment and `ACCESS_MATRIX` below are
 * the same table (a test renders the table and compares); copy it into the docs from here.
 *
 * "allowed" means past the access check: any answer but 401, 403, 429 or a 5xx (a 404 for a
 * missing id, a 409 for a taken name, or a 400 for a deliberately invalid body still shows the
 * caller was let in — the access check runs before the body is even validated). The API key
 * belongs to a plain user and holds only the `kb:read` scope.
 *
 * | Route | Anonymous | User | Manager | Admin | API key (kb:read) |
 * | --- | --- | --- | --- | --- | --- |
 * | `POST /v1/chat` | 401 | allowed | allowed | allowed | 403 |
 * | `POST /v1/governor/check` | 401 | allowed | allowed | allowed | 403 |
 * | `POST /v1/chat/completions` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/models` | 401 | allowed | allowed | allowed | 403 |
 * | `POST /mcp` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/kb/search` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/kb/sources` | 401 | allowed | allowed | allowed | allowed |
 * | `POST /v1/kb/sources` (remote git URL) | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/kb/sources` (local git repository) | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/kb/sources` (server folder) | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/kb/sources/{id}/sync` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/kb/uploads` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/kb/uploads` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/kb/examples` | 401 | allowed | allowed | allowed | allowed |
 * | `DELETE /v1/kb/uploads/{name}` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/vision/analyze` | 401 | allowed | allowed | allowed | 403 |
 * | `POST /v1/vision/batches` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/policies` | 401 | allowed | allowed | allowed | allowed |
 * | `POST /v1/policies/activate` | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/policies/rollback` | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/me` | 401 | allowed | allowed | allowed | allowed |
 * | `POST /v1/api-keys` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/api-keys` | 401 | allowed | allowed | allowed | 403 |
 * | `DELETE /v1/api-keys/{id}` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/users` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/users` | 401 | 403 | allowed | allowed | 403 |
 * | `PATCH /v1/users/{id}` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/workspaces` | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/workspaces` | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/usage` (scope=me) | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/usage` (scope=workspace) | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/usage` (scope=all) | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/auth/register` | allowed | allowed | allowed | allowed | allowed |
 * | `POST /v1/auth/setup` | allowed | allowed | allowed | allowed | allowed |
 * | `POST /v1/auth/login` | allowed | allowed | allowed | allowed | allowed |
 * | `POST /v1/auth/refresh` | allowed | allowed | allowed | allowed | allowed |
 * | `POST /v1/auth/logout` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /health/live` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /health/ready` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /health` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /api/ready` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /api/v1/healthchecker` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /api/health` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /metrics` | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/auth/password` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/openapi.json` | allowed | allowed | allowed | allowed | allowed |
 * | `POST /v1/jobs` (ingest) | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/jobs` (webhooks) | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/jobs` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/jobs/{id}` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/jobs/{id}/events` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/realtime` (job) | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/realtime` (conversation) | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/realtime` (agent) | 401 | allowed | allowed | allowed | 403 |
 * | `POST /v1/jobs/{id}/retry` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/jobs/{id}/cancel` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/jobs/{id}/output` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/jobs/{id}/versions` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/jobs/{id}/versions/{version}` | 401 | allowed | allowed | allowed | allowed |
 * | `POST /v1/schedules` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/schedules` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/schedules/{id}` | 401 | allowed | allowed | allowed | allowed |
 * | `POST /v1/schedules/{id}/pause` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/schedules/{id}/resume` | 401 | 403 | allowed | allowed | 403 |
 * | `DELETE /v1/schedules/{id}` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/series` | 401 | allowed | allowed | allowed | 403 |
 * | `PUT /v1/series/{seriesId}` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/series/{seriesId}` | 401 | allowed | allowed | allowed | 403 |
 * | `DELETE /v1/series/{seriesId}` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/conversations` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/conversations/{id}` | 401 | allowed | allowed | allowed | 403 |
 * | `DELETE /v1/conversations/{id}` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/memories` | 401 | allowed | allowed | allowed | 403 |
 * | `DELETE /v1/memories` | 401 | allowed | allowed | allowed | 403 |
 * | `DELETE /v1/memories/{id}` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/memories/settings` | 401 | allowed | allowed | allowed | 403 |
 * | `PUT /v1/memories/settings` | 401 | allowed | allowed | allowed | 403 |
 * | `GET /v1/audit` | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/policies/activations` | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/policies/diff` | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/policies/{version}` | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/policies/canary` | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/policies/canary` | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/policies/canary/stop` | 401 | 403 | 403 | allowed | 403 |
 * | `GET /v1/usage/series` (scope=me) | 401 | allowed | allowed | allowed | allowed |
 * | `GET /v1/usage/series` (scope=workspace) | 401 | 403 | allowed | allowed | 403 |
 * | `GET /v1/usage/series` (scope=all) | 401 | 403 | 403 | allowed | 403 |
 * | `POST /v1/users/invite` | 401 | 403 | allowed | allowed | 403 |
 * | `POST /v1/auth/accept-invite` | allowed | allowed | allowed | allowed | allowed |
 * | `GET /config.json` | allowed | allowed | allowed | allowed | allowed |
 *
 * Beyond the route: managers act inside their own workspace only (other workspaces' objects
 * answer 404, see `idor.auth.test.ts`), never create or promote admins, and an API key never
 * holds more than its scopes, whatever its owner's role.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type BearerHeaders,
  createApiKey,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';

export const CALLERS = ['anonymous', 'user', 'manager', 'admin', 'kb:read key'] as const;
export type Caller = (typeof CALLERS)[number];
export type Outcome = 'allowed' | 401 | 403;

export interface MatrixRow {
  /** Method and path as the OpenAPI document names it. */
  route: string;
  /** Which variant of the route the row is, when one route has several rows. */
  variant?: string;
  /** The URL called, when it differs from the route's path (an id, a query). */
  url?: string;
  body?: unknown;
  expected: Record<Caller, Outcome>;
}

function outcomes(...values: [Outcome, Outcome, Outcome, Outcome, Outcome]) {
  return Object.fromEntries(CALLERS.map((caller, index) => [caller, values[index]])) as Record<
    Caller,
    Outcome
  >;
}

const ok = 'allowed' as const;
const everyone = outcomes(ok, ok, ok, ok, ok);
const signedIn = outcomes(401, ok, ok, ok, 403);
const readers = outcomes(401, ok, ok, ok, ok);
const managers = outcomes(401, 403, ok, ok, 403);
const admins = outcomes(401, 403, 403, ok, 403);

export const ACCESS_MATRIX: MatrixRow[] = [
  { route: 'POST /v1/chat', body: { message: 'How do I roll back a policy?' }, expected: signedIn },
  { route: 'POST /v1/governor/check', body: { text: 'hello there' }, expected: signedIn },
  {
    route: 'POST /v1/chat/completions',
    body: { model: 'keel', messages: [{ role: 'user', content: 'How do I roll back a policy?' }] },
    expected: signedIn,
  },
  { route: 'GET /v1/models', expected: signedIn },
  {
    route: 'POST /mcp',
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    expected: readers,
  },
  { route: 'GET /v1/kb/search', url: '/v1/kb/search?q=policy', expected: readers },
  { route: 'GET /v1/kb/sources', expected: readers },
  {
    route: 'POST /v1/kb/sources',
    variant: 'remote git URL',
    body: { name: 'matrix-remote', kind: 'git', location: 'https://example.com/team/docs.git' },
    expected: managers,
  },
  {
    route: 'POST /v1/kb/sources',
    variant: 'local git repository',
    body: { name: 'matrix-local-git', kind: 'git', location: '/srv/repositories/handbook.git' },
    expected: admins,
  },
  {
    route: 'POST /v1/kb/sources',
    variant: 'server folder',
    body: { name: 'matrix-folder', kind: 'folder', location: tmpdir() },
    expected: admins,
  },
  {
    route: 'POST /v1/kb/sources/{id}/sync',
    url: '/v1/kb/sources/src_missing/sync',
    expected: managers,
  },
  { route: 'POST /v1/kb/uploads', body: {}, expected: managers },
  { route: 'GET /v1/kb/uploads', expected: readers },
  { route: 'GET /v1/kb/examples', expected: readers },
  { route: 'DELETE /v1/kb/uploads/{name}', url: '/v1/kb/uploads/missing.md', expected: managers },
  // Image analysis is model work like chat; a JSON body (415) proves the caller got in.
  { route: 'POST /v1/vision/analyze', body: {}, expected: signedIn },
  { route: 'POST /v1/vision/batches', body: {}, expected: signedIn },
  { route: 'GET /v1/policies', expected: readers },
  {
    route: 'POST /v1/policies/activate',
    body: { version: 'no-such-version' },
    expected: admins,
  },
  {
    route: 'POST /v1/policies/rollback',
    body: { version: 'no-such-version' },
    expected: admins,
  },
  { route: 'GET /v1/me', expected: readers },
  {
    route: 'POST /v1/api-keys',
    body: { name: 'matrix', scopes: ['kb:read'] },
    expected: signedIn,
  },
  { route: 'GET /v1/api-keys', expected: signedIn },
  { route: 'DELETE /v1/api-keys/{id}', url: '/v1/api-keys/key_missing', expected: signedIn },
  { route: 'GET /v1/users', expected: managers },
  {
    route: 'POST /v1/users',
    body: { email: 'matrix.new@example.com', password: 'a long enough passphrase', role: 'user' },
    expected: managers,
  },
  {
    route: 'PATCH /v1/users/{id}',
    url: '/v1/users/usr_missing',
    body: { role: 'user' },
    expected: managers,
  },
  { route: 'GET /v1/workspaces', expected: admins },
  { route: 'POST /v1/workspaces', body: { name: 'Matrix' }, expected: admins },
  { route: 'GET /v1/usage', variant: 'scope=me', url: '/v1/usage?scope=me', expected: readers },
  {
    route: 'GET /v1/usage',
    variant: 'scope=workspace',
    url: '/v1/usage?scope=workspace',
    expected: managers,
  },
  { route: 'GET /v1/usage', variant: 'scope=all', url: '/v1/usage?scope=all', expected: admins },
  // Public auth routes get invalid bodies: a 400 proves the access check let the call through
  // without changing any session the other rows use.
  { route: 'POST /v1/auth/register', body: {}, expected: everyone },
  { route: 'POST /v1/auth/setup', body: {}, expected: everyone },
  { route: 'POST /v1/auth/login', body: {}, expected: everyone },
  { route: 'POST /v1/auth/refresh', body: { refreshToken: 'short' }, expected: everyone },
  { route: 'POST /v1/auth/logout', body: { everywhere: 'yes' }, expected: everyone },
  { route: 'GET /health/live', expected: everyone },
  { route: 'GET /health/ready', expected: everyone },
  { route: 'GET /health', expected: everyone },
  { route: 'GET /api/ready', expected: everyone },
  { route: 'GET /api/v1/healthchecker', expected: everyone },
  { route: 'GET /api/health', expected: everyone },
  { route: 'GET /metrics', expected: admins },
  { route: 'POST /v1/auth/password', body: { currentPassword: '' }, expected: signedIn },
  { route: 'GET /v1/openapi.json', expected: everyone },
  // Job routes get missing ids and an invalid webhook: a 404 or 400 proves the caller got in.
  {
    route: 'POST /v1/jobs',
    variant: 'ingest',
    body: { queue: 'ingest', payload: { sourceId: 'src_missing' } },
    expected: managers,
  },
  {
    route: 'POST /v1/jobs',
    variant: 'webhooks',
    body: { queue: 'webhooks', payload: {} },
    expected: admins,
  },
  { route: 'GET /v1/jobs', expected: readers },
  { route: 'GET /v1/jobs/{id}', url: '/v1/jobs/job_missing', expected: readers },
  { route: 'GET /v1/jobs/{id}/events', url: '/v1/jobs/job_missing/events', expected: readers },
  // One route, the topic's own rules: a job as GET /v1/jobs/{id}, a conversation as
  // GET /v1/conversations/{id} (people only), an agent as GET /v1/models (the chat scope).
  {
    route: 'GET /v1/realtime',
    variant: 'job',
    url: '/v1/realtime?topic=job:job_missing',
    expected: readers,
  },
  {
    route: 'GET /v1/realtime',
    variant: 'conversation',
    url: '/v1/realtime?topic=conversation:conv_missing',
    expected: signedIn,
  },
  {
    route: 'GET /v1/realtime',
    variant: 'agent',
    url: '/v1/realtime?topic=agent:no-such-agent',
    expected: signedIn,
  },
  { route: 'POST /v1/jobs/{id}/retry', url: '/v1/jobs/job_missing/retry', expected: managers },
  { route: 'POST /v1/jobs/{id}/cancel', url: '/v1/jobs/job_missing/cancel', expected: managers },
  { route: 'GET /v1/jobs/{id}/output', url: '/v1/jobs/job_missing/output', expected: readers },
  { route: 'GET /v1/jobs/{id}/versions', url: '/v1/jobs/job_missing/versions', expected: readers },
  {
    route: 'GET /v1/jobs/{id}/versions/{version}',
    url: '/v1/jobs/job_missing/versions/1',
    expected: readers,
  },
  // Schedules: a bad cron expression (400) or a missing id (404) proves the caller got in.
  {
    route: 'POST /v1/schedules',
    body: { id: 'matrix', queue: 'predictions', payload: {}, cron: 'never' },
    expected: managers,
  },
  { route: 'GET /v1/schedules', expected: readers },
  { route: 'GET /v1/schedules/{id}', url: '/v1/schedules/missing', expected: readers },
  {
    route: 'POST /v1/schedules/{id}/pause',
    url: '/v1/schedules/missing/pause',
    expected: managers,
  },
  {
    route: 'POST /v1/schedules/{id}/resume',
    url: '/v1/schedules/missing/resume',
    expected: managers,
  },
  { route: 'DELETE /v1/schedules/{id}', url: '/v1/schedules/missing', expected: managers },
  // Time series go with forecasts (the `predictions` queue): anyone with the `chat` scope.
  { route: 'GET /v1/series', expected: signedIn },
  {
    route: 'PUT /v1/series/{seriesId}',
    url: '/v1/series/matrix',
    body: 'timestamp,value',
    expected: signedIn,
  },
  { route: 'GET /v1/series/{seriesId}', url: '/v1/series/missing', expected: signedIn },
  { route: 'DELETE /v1/series/{seriesId}', url: '/v1/series/missing', expected: signedIn },
  // History, audit, policy reading, usage series and invitations (the web app's routes).
  { route: 'GET /v1/conversations', expected: signedIn },
  { route: 'GET /v1/conversations/{id}', url: '/v1/conversations/cnv_missing', expected: signedIn },
  {
    route: 'DELETE /v1/conversations/{id}',
    url: '/v1/conversations/cnv_missing',
    expected: signedIn,
  },
  // Long-term memory: a person's own, like their history.
  { route: 'GET /v1/memories', expected: signedIn },
  { route: 'DELETE /v1/memories', expected: signedIn },
  { route: 'DELETE /v1/memories/{id}', url: '/v1/memories/mem_missing', expected: signedIn },
  { route: 'GET /v1/memories/settings', expected: signedIn },
  { route: 'PUT /v1/memories/settings', body: { enabled: true }, expected: signedIn },
  { route: 'GET /v1/audit', expected: managers },
  { route: 'GET /v1/policies/activations', expected: readers },
  { route: 'GET /v1/policies/diff', url: '/v1/policies/diff?from=deadbeef', expected: admins },
  { route: 'GET /v1/policies/{version}', url: '/v1/policies/deadbeef', expected: admins },
  { route: 'GET /v1/policies/canary', expected: admins },
  {
    route: 'POST /v1/policies/canary',
    body: { version: 'deadbeef', percent: 10 },
    expected: admins,
  },
  { route: 'POST /v1/policies/canary/stop', body: {}, expected: admins },
  {
    route: 'GET /v1/usage/series',
    variant: 'scope=me',
    url: '/v1/usage/series?scope=me',
    expected: readers,
  },
  {
    route: 'GET /v1/usage/series',
    variant: 'scope=workspace',
    url: '/v1/usage/series?scope=workspace',
    expected: managers,
  },
  {
    route: 'GET /v1/usage/series',
    variant: 'scope=all',
    url: '/v1/usage/series?scope=all',
    expected: admins,
  },
  // A second caller gets 409 for the same address: still past the access check.
  {
    route: 'POST /v1/users/invite',
    body: { email: 'matrix.invite@example.com' },
    expected: managers,
  },
  { route: 'POST /v1/auth/accept-invite', body: {}, expected: everyone },
  { route: 'GET /config.json', expected: everyone },
];

/** Routes kept out of the OpenAPI document on purpose; the matrix still covers them. */
const HIDDEN_ROUTES = new Set(['GET /metrics', 'GET /v1/openapi.json']);

/** The Markdown table of the matrix, as written in this file's top comment. */
export function renderMatrix(rows: MatrixRow[]): string {
  const header = [
    '| Route | Anonymous | User | Manager | Admin | API key (kb:read) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const lines = rows.map((row) => {
    const label = `\`${row.route}\`${row.variant ? ` (${row.variant})` : ''}`;
    return `| ${label} | ${CALLERS.map((caller) => String(row.expected[caller])).join(' | ')} |`;
  });
  return [...header, ...lines].join('\n');
}

function outcomeOf(status: number): Outcome | `unexpected ${number}` {
  if (status === 401 || status === 403) return status;
  if (status === 429 || status >= 500) return `unexpected ${status}`;
  return 'allowed';
}

describe('role × route matrix', () => {
  let fixture: AuthFixture;
  let headersOf: Record<Caller, BearerHeaders | undefined>;

  beforeAll(async () => {
    fixture = await createAuthFixture();
    const key = await createApiKey(fixture.app, fixture.a.user, ['kb:read']);
    headersOf = {
      anonymous: undefined,
      user: fixture.a.user.headers,
      manager: fixture.a.manager.headers,
      admin: fixture.admin.headers,
      'kb:read key': key.headers,
    };
  });
  afterAll(() => fixture.close());

  const cases = ACCESS_MATRIX.flatMap((row) =>
    CALLERS.map((caller) => ({
      ...row,
      caller,
      outcome: row.expected[caller],
      name: `${row.route}${row.variant ? ` (${row.variant})` : ''} as ${caller}: ${row.expected[caller]}`,
    })),
  );

  it.each(cases)('$name', async ({ route, url, body, caller, outcome }) => {
    const [method, path] = route.split(' ') as [
      'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      string,
    ];
    const headers = headersOf[caller];
    const response = await fixture.app.inject({
      method,
      url: url ?? path,
      ...(headers && { headers }),
      ...(body !== undefined && { payload: body as Record<string, unknown> | string }),
    });
    expect(outcomeOf(response.statusCode), response.body).toBe(outcome);
    if (outcome === 401) expect(response.json().error.code).toBe('authentication_required');
  });

  it('has a row for every route the API serves', async () => {
    const document = fixture.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = new Set(ACCESS_MATRIX.map((row) => row.route));
    expect(served.filter((route) => !covered.has(route))).toEqual([]);
    const known = new Set([...served, ...HIDDEN_ROUTES]);
    expect([...covered].filter((route) => !known.has(route))).toEqual([]);
    expect(served.length).toBeGreaterThan(20);
  });

  it('is written out, row for row, in the comment at the top of this file', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const comment = source.slice(0, source.indexOf('*/'));
    const tableInComment = comment
      .split('\n')
      .map((line) => line.replace(/^ \* ?/, ''))
      .filter((line) => line.startsWith('|'))
      .join('\n');
    expect(tableInComment).toBe(renderMatrix(ACCESS_MATRIX));
  });
});

describe('an API key holds only its scopes, whatever its owner may do', () => {
  let fixture: AuthFixture;
  let adminReadKey: BearerHeaders;

  beforeAll(async () => {
    fixture = await createAuthFixture();
    adminReadKey = (await createApiKey(fixture.app, fixture.admin, ['kb:read'])).headers;
  });
  afterAll(() => fixture.close());

  it.each([
    ['GET', '/v1/users', undefined],
    ['GET', '/v1/workspaces', undefined],
    ['POST', '/v1/workspaces', { name: 'From a read key' }],
    ['POST', '/v1/policies/activate', {}],
    ['POST', '/v1/policies/canary/stop', {}],
    ['GET', '/v1/usage?scope=all', undefined],
    ['GET', '/v1/usage?scope=workspace', undefined],
    ['GET', '/v1/api-keys', undefined],
    ['DELETE', '/v1/api-keys/key_missing', undefined],
    ['POST', '/v1/api-keys', { name: 'child', scopes: ['kb:read'] }],
    ['POST', '/v1/chat', { message: 'hello' }],
    ['POST', '/v1/jobs', { queue: 'ingest', payload: { sourceId: 'src_missing' } }],
    ['POST', '/v1/jobs', { queue: 'webhooks', payload: {} }],
    [
      'POST',
      '/v1/kb/sources',
      { name: 'from-a-read-key', kind: 'git', location: 'https://example.com/a.git' },
    ],
  ] as const)("an admin's kb:read key gets 403 on %s %s", async (method, url, body) => {
    const response = await fixture.app.inject({
      method,
      url,
      headers: adminReadKey,
      ...(body && { payload: body }),
    });
    expect(response.statusCode, response.body).toBe(403);
  });

  it("cannot revoke its owner's other keys", async () => {
    const other = await createApiKey(fixture.app, fixture.admin, ['chat'], 'other');
    const revoke = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${other.id}`,
      headers: adminReadKey,
    });
    expect(revoke.statusCode).toBe(403);
    const stillWorks = await fixture.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: other.headers,
    });
    expect(stillWorks.statusCode).toBe(200);
  });

  it('still reads what kb:read allows, and says who it is', async () => {
    const search = await fixture.app.inject({
      method: 'GET',
      url: '/v1/kb/search?q=policy',
      headers: adminReadKey,
    });
    expect(search.statusCode).toBe(200);
    const me = await fixture.app.inject({ method: 'GET', url: '/v1/me', headers: adminReadKey });
    expect(me.json()).toMatchObject({ via: 'api-key', role: 'admin', scopes: ['kb:read'] });
  });
});

describe('KEEL_AUTH=off: the single local admin, no token needed', () => {
  it('answers every route as the local admin of the default workspace', async () => {
    const harness = await createTestKeel({ KEEL_AUTH: 'off' }, { bundled: false });
    try {
      const me = await harness.app.inject({ method: 'GET', url: '/v1/me' });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({
        user: null,
        via: 'local',
        role: 'admin',
        workspaceId: 'default',
      });
      for (const url of ['/v1/workspaces', '/v1/users', '/v1/usage?scope=all', '/v1/api-keys']) {
        expect((await harness.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
      const chat = await harness.app.inject({
        method: 'POST',
        url: '/v1/chat',
        payload: { message: 'How do I roll back a policy?' },
      });
      expect(chat.statusCode).toBe(200);
    } finally {
      await harness.close();
    }
  });
});
