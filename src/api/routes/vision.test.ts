import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SKY_JPEG, SKY_PNG, sha256 } from '../../../test/fixtures/images.js';
import {
  type FakeOpenAiServer,
  startOpenAiServer,
} from '../../../test/fixtures/providers/openai-server.js';
import { multipartBody } from '../../../test/helpers/multipart.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';
import { expectVisionBatchWorks } from '../../../test/helpers/vision-batch.js';

const CARD = '4111 1111 1111 1111';
const today = () => new Date(Date.now() - 60_000).toISOString();

async function analyze(
  test: TestKeel,
  image: Buffer | undefined,
  fields: Record<string, string>,
  name = 'photo.png',
) {
  const files = image ? [{ field: 'image', name, bytes: image }] : [];
  return test.app.inject({
    method: 'POST',
    url: '/v1/vision/analyze',
    ...(await multipartBody(files, fields)),
  });
}

describe('POST /v1/vision/analyze (OpenAI-compatible vision server)', () => {
  let server: FakeOpenAiServer;
  let test: TestKeel;
  beforeAll(async () => {
    server = await startOpenAiServer();
    test = await createTestKeel(
      {
        KEEL_VISION: 'openai',
        KEEL_LLM: 'extractive',
        OPENAI_API_KEY: 'sk-test-vision',
        OPENAI_BASE_URL: `${server.url}/v1`,
        KEEL_VISION_MAX_IMAGE_BYTES: '2000',
      },
      { bundled: false, worker: false },
    );
  });
  afterAll(async () => {
    await test.close();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.imageAnswer = undefined;
  });

  it('analyses an image, stores it under its SHA-256 and records usage; the same call again is served from the cache', async () => {
    const first = await analyze(test, SKY_PNG, { prompt: 'What colour is the sky?' });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({
      text: `A ${SKY_PNG.length}-byte image (sha256 ${sha256(SKY_PNG)}); asked: What colour is the sky?`,
      decision: { status: 'allowed', reasons: [] },
      image: { sha256: sha256(SKY_PNG), mediaType: 'image/png', width: 16, height: 12 },
      provider: 'openai',
      cached: false,
    });
    expect(body.usage.inputTokens).toBeGreaterThan(0);
    const stored = await test.keel.blobs.get(body.image.blobKey);
    expect(stored && Buffer.concat(await stored.body.toArray())).toEqual(SKY_PNG);
    const usage = await test.keel.store.usage.totals({ userId: 'local', since: today() });
    expect(usage.calls).toBe(1);

    const second = await analyze(test, SKY_PNG, { prompt: 'What colour is the sky?' });
    expect(second.json()).toMatchObject({
      text: body.text,
      cached: true,
      usage: { inputTokens: 0 },
    });
    expect(server.requests).toHaveLength(1);
    expect((await test.keel.store.usage.totals({ userId: 'local', since: today() })).calls).toBe(1);

    const otherPrompt = await analyze(test, SKY_PNG, { prompt: 'Is there a box?' });
    expect(otherPrompt.json()).toMatchObject({ cached: false });
    expect(server.requests).toHaveLength(2);
  });

  it('uses an agent prompt as the instructions', async () => {
    const response = await analyze(test, SKY_JPEG, { agent: 'general' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      agent: 'general',
      text: expect.stringContaining('Describe this image.'),
    });
    const messages = (server.requests[0]?.body as { messages: { role: string }[] }).messages;
    expect(messages[0]?.role).toBe('system');
    const unknown = await analyze(test, SKY_JPEG, { agent: 'no-such-agent' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'unknown_agent']);
  });

  it('refuses bad input with a clear 4xx and never calls the provider', async () => {
    const cases: {
      image: Buffer | undefined;
      fields: Record<string, string>;
      status: number;
      code: string;
    }[] = [
      {
        image: Buffer.alloc(2001, 0xff),
        fields: { prompt: 'x' },
        status: 413,
        code: 'image_too_large',
      },
      {
        image: Buffer.from('%PDF-1.7 not an image'),
        fields: { prompt: 'x' },
        status: 415,
        code: 'unsupported_image_type',
      },
      {
        image: SKY_PNG.subarray(0, 60),
        fields: { prompt: 'x' },
        status: 422,
        code: 'image_undecodable',
      },
      {
        image: SKY_JPEG.subarray(0, 400),
        fields: { prompt: 'x' },
        status: 422,
        code: 'image_undecodable',
      },
      { image: undefined, fields: { prompt: 'x' }, status: 400, code: 'no_image' },
      { image: SKY_PNG, fields: {}, status: 400, code: 'prompt_required' },
      {
        image: SKY_PNG,
        fields: { prompt: `Is ${CARD} on it?` },
        status: 422,
        code: 'input_refused',
      },
    ];
    for (const { image, fields, status, code } of cases) {
      const response = await analyze(test, image, fields);
      expect([response.statusCode, response.json().error.code], code).toEqual([status, code]);
    }
    const json = await test.app.inject({
      method: 'POST',
      url: '/v1/vision/analyze',
      payload: { prompt: 'x' },
    });
    expect(json.statusCode).toBe(415);
    expect(server.requests).toHaveLength(0);
  });

  it('applies the output policy to what the model read off the image', async () => {
    server.imageAnswer = `The receipt shows card ${CARD}.`;
    const refused = await analyze(test, SKY_JPEG, { prompt: 'Read the receipt' });
    expect([refused.statusCode, refused.json().error.code]).toEqual([422, 'output_refused']);
    expect(refused.body).not.toContain(CARD);

    server.imageAnswer = 'The note says: write to jane.doe@example.com.';
    const redacted = await analyze(test, SKY_JPEG, { prompt: 'Read the note' });
    expect(redacted.json()).toMatchObject({ decision: { status: 'redacted' } });
    expect(redacted.json().text).not.toContain('jane.doe@example.com');
  });
});

describe('POST /v1/vision/analyze without a vision provider (the offline default)', () => {
  it('answers 503 vision_not_configured, naming what to set', async () => {
    const test = await createTestKeel(
      { KEEL_LLM: 'extractive' },
      { bundled: false, worker: false },
    );
    try {
      const response = await analyze(test, SKY_PNG, { prompt: 'Describe' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({ code: 'vision_not_configured' });
      expect(response.json().error.message).toContain('KEEL_VISION');
    } finally {
      await test.close();
    }
  });
});

describe('POST /v1/vision/batches (a vision job, single process on SQLite)', () => {
  it('stores each image under its hash and analyses the batch in a job, repeats from the cache', async () => {
    const server = await startOpenAiServer();
    const test = await createTestKeel(
      {
        KEEL_VISION: 'openai',
        KEEL_LLM: 'extractive',
        OPENAI_API_KEY: 'sk-test-vision',
        OPENAI_BASE_URL: `${server.url}/v1`,
      },
      { bundled: false },
    );
    try {
      await expectVisionBatchWorks(test, server);
      const refused = await analyzeBatch(test, [Buffer.from('not an image')]);
      expect([refused.statusCode, refused.json().error.code]).toEqual([
        415,
        'unsupported_image_type',
      ]);
    } finally {
      await test.close();
      await server.close();
    }
  });
});

async function analyzeBatch(test: TestKeel, images: Buffer[]) {
  const form = await multipartBody(
    images.map((bytes, index) => ({ field: 'image', name: `${index}.png`, bytes })),
    { prompt: 'Describe' },
  );
  return test.app.inject({ method: 'POST', url: '/v1/vision/batches', ...form });
}
