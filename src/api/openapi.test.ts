import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, Operation>> };

/** The OpenAPI document as the tools around it take it: Redocly's linter and a typed client. */
describe('OpenAPI document at /v1/openapi.json', () => {
  let document: Document;
  let work: string;

  beforeAll(async () => {
    const harness = await createTestKeel({}, { bundled: false, worker: false });
    document = (await harness.app.inject({ url: '/v1/openapi.json' })).json<Document>();
    await harness.close();
    // Inside the checkout so the compiler finds openapi-fetch in node_modules.
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    work = mkdtempSync(join(root, 'node_modules/.cache/keel-openapi-'));
    writeFileSync(join(work, 'openapi.json'), JSON.stringify(document));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('gives every operation an operationId, a security rule, and 401/403 where it needs sign-in', () => {
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const chat = document.paths['/v1/chat']!.post!;
    expect(chat.security).toEqual([{ accessToken: [] }, { apiKey: [] }]);
    expect(Object.keys(chat.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
    expect(chat.responses['200']).toMatchObject({
      content: { 'text/event-stream': expect.any(Object) },
    });
    expect(document.paths['/health/live']!.get!.security).toEqual([]);
  });

  it('passes `redocly lint` with the recommended rules', async () => {
    const result = await run(
      bin('redocly'),
      ['lint', join(work, 'openapi.json'), '--extends', 'recommended', '--format', 'json'],
      {
        cwd: work,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout: string; code: number }) => error);
    const report = JSON.parse(result.stdout) as { totals: { errors: number } };
    expect(report.totals.errors).toBe(0);
  }, 60_000);

  it('generates a typed client (openapi-typescript + openapi-fetch) that compiles', async () => {
    writeFileSync(join(work, 'keel-api.ts'), astToString(await openapiTS(document as never)));
    writeFileSync(
      join(work, 'client.ts'),
      `import createClient from 'openapi-fetch';
import type { paths } from './keel-api.js';

// JSON answers; the streaming form of the same operations is text/event-stream.
const keel = createClient<paths, 'application/json'>({ baseUrl: 'http://localhost:8080' });
export async function ask(question: string): Promise<string[]> {
  const { data, error } = await keel.POST('/v1/chat', { body: { message: question, k: 4 } });
  if (error) throw new Error(error.error.code);
  return data.citations.map((citation) => \`\${citation.path}#\${citation.heading}\`);
}
export async function complete(): Promise<string | undefined> {
  const { data } = await keel.POST('/v1/chat/completions', {
    body: { model: 'keel-docs', messages: [{ role: 'user', content: 'Hi' }] },
  });
  return data?.keel.citations[0]?.path;
}
// @ts-expect-error: the typed client knows k is a number
void keel.POST('/v1/chat', { body: { message: 'x', k: 'four' } });
`,
    );
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          skipLibCheck: true,
        },
        files: ['client.ts'],
      }),
    );
    const result = await run(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      work,
    ]).catch((error: { stdout: string }) => error);
    expect(result.stdout).toBe('');
  }, 60_000);
});
