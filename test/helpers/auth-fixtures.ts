import { expect } from 'vitest';
import type { User } from '../../src/store/account-store.js';
import { type TestKeel, createTestKeel } from './test-keel.js';

type App = TestKeel['app'];
type Role = User['role'];

/**
 * Sign-in on, with the cheapest Argon2id OWASP allows (19 MiB, 2 passes, 1 lane) so a suite
 * can create a dozen accounts quickly. The auth rate limit is raised because every fixture
 * sign-in comes from the same inject address; tests of that limit set their own.
 */
export const AUTH_ENV: Readonly<Record<string, string>> = {
  KEEL_AUTH: 'on',
  KEEL_ARGON2_MEMORY_KIB: '19456',
  KEEL_ARGON2_ITERATIONS: '2',
  KEEL_ARGON2_PARALLELISM: '1',
  KEEL_RATE_LIMIT_AUTH: '10000',
};

export interface BearerHeaders {
  [header: string]: string;
  authorization: string;
}

export function bearer(credential: string): BearerHeaders {
  return { authorization: `Bearer ${credential}` };
}

/** A signed-in account: who it is, its password, and its current token pair. */
export interface SignedIn {
  user: User;
  password: string;
  accessToken: string;
  refreshToken: string;
  headers: BearerHeaders;
}

export interface CreatedApiKey {
  id: string;
  key: string;
  headers: BearerHeaders;
}

let counter = 0;
/** A password that passes the strength check, unique per call. */
export function newPassword(): string {
  counter += 1;
  return `correct horse battery staple ${counter}`;
}

/** `POST /v1/auth/login`; fails the test unless it answers 200. */
export async function login(
  app: App,
  email: string,
  password: string,
  remoteAddress?: string,
): Promise<Omit<SignedIn, 'user' | 'password'> & { setCookie: string | string[] | undefined }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password },
    ...(remoteAddress && { remoteAddress }),
  });
  expect(response.statusCode, response.body).toBe(200);
  const { accessToken, refreshToken } = response.json<{
    accessToken: string;
    refreshToken: string;
  }>();
  return {
    accessToken,
    refreshToken,
    headers: bearer(accessToken),
    setCookie: response.headers['set-cookie'],
  };
}

/** The first admin, through the one-time setup token, signed in. */
export async function setUpAdmin(
  harness: TestKeel,
  email = 'admin@example.com',
): Promise<SignedIn> {
  const setupToken = await harness.keel.accounts.issueSetupToken();
  expect(setupToken).toBeDefined();
  const password = newPassword();
  const response = await harness.app.inject({
    method: 'POST',
    url: '/v1/auth/setup',
    payload: { setupToken, email, password },
  });
  expect(response.statusCode, response.body).toBe(201);
  const user = response.json<User>();
  return { user, password, ...(await login(harness.app, email, password)) };
}

/** POSTs `payload` to `url` as `who`; fails the test unless it answers `status`. */
async function postAs<Body>(
  app: App,
  who: SignedIn,
  url: string,
  payload: object,
  status: number,
): Promise<Body> {
  const response = await app.inject({ method: 'POST', url, headers: who.headers, payload });
  expect(response.statusCode, response.body).toBe(status);
  return response.json<Body>();
}

/** `POST /v1/workspaces` as `admin`; returns the new workspace's id. */
export async function createWorkspace(app: App, admin: SignedIn, name: string): Promise<string> {
  return (await postAs<{ id: string }>(app, admin, '/v1/workspaces', { name }, 201)).id;
}

/** `POST /v1/users` as `creator` (an admin or manager), then signs the new user in. */
export async function createUser(
  app: App,
  creator: SignedIn,
  input: { email: string; role: Role; workspaceId: string },
): Promise<SignedIn> {
  const password = newPassword();
  const response = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: creator.headers,
    payload: { ...input, password },
  });
  expect(response.statusCode, response.body).toBe(201);
  const user = response.json<User>();
  return { user, password, ...(await login(app, input.email, password)) };
}

/** `POST /v1/api-keys` as `owner`; returns the key (shown once), its id and bearer headers. */
export async function createApiKey(
  app: App,
  owner: { headers: BearerHeaders },
  scopes: string[],
  name = 'test key',
): Promise<CreatedApiKey> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: owner.headers,
    payload: { name, scopes },
  });
  expect(response.statusCode, response.body).toBe(201);
  const { key, apiKey } = response.json<{ key: string; apiKey: { id: string } }>();
  return { id: apiKey.id, key, headers: bearer(key) };
}

/** `POST /v1/policies/activate` as `admin`: the policy files on disk become the active version. */
export async function activatePolicyFiles(
  app: App,
  admin: SignedIn,
  reason: string,
): Promise<{ version: string }> {
  return postAs(app, admin, '/v1/policies/activate', { reason }, 200);
}

/** `POST /v1/chat` as `who`; fails the test unless it is answered (200). */
export async function chatAs(
  app: App,
  who: SignedIn,
  message = 'How do I roll back a policy?',
): Promise<void> {
  await postAs(app, who, '/v1/chat', { message }, 200);
}

export interface WorkspaceFixture {
  id: string;
  name: string;
  manager: SignedIn;
  user: SignedIn;
}

export interface AuthFixture {
  harness: TestKeel;
  app: App;
  /** The first admin, in the default workspace. */
  admin: SignedIn;
  a: WorkspaceFixture;
  b: WorkspaceFixture;
  close(): Promise<void>;
}

async function workspaceWithPeople(
  app: App,
  admin: SignedIn,
  name: string,
): Promise<WorkspaceFixture> {
  const id = await createWorkspace(app, admin, name);
  const slug = name.toLowerCase();
  const manager = await createUser(app, admin, {
    email: `manager.${slug}@example.com`,
    role: 'manager',
    workspaceId: id,
  });
  const user = await createUser(app, admin, {
    email: `user.${slug}@example.com`,
    role: 'user',
    workspaceId: id,
  });
  return { id, name, manager, user };
}

/**
 * A Keel with sign-in on, its first admin (default workspace) and two workspaces, A and B, each
 * with a signed-in manager and user. `env` adds to or overrides {@link AUTH_ENV}.
 *
 * @example
 *   const fixture = await createAuthFixture({ KEEL_RATE_LIMIT_SEARCH: '5' });
 *   await fixture.app.inject({ method: 'GET', url: '/v1/me', headers: fixture.a.user.headers });
 */
export async function createAuthFixture(
  env: Record<string, string> = {},
  options: { bundled?: boolean; worker?: boolean } = {},
): Promise<AuthFixture> {
  const harness = await createTestKeel({ ...AUTH_ENV, ...env }, options);
  const admin = await setUpAdmin(harness);
  const a = await workspaceWithPeople(harness.app, admin, 'Alpha');
  const b = await workspaceWithPeople(harness.app, admin, 'Bravo');
  return { harness, app: harness.app, admin, a, b, close: () => harness.close() };
}
