import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchestratorClient } from './client.js';

/** An orchestrator stand-in whose answer stream is written in the given pieces. */
function streamingServer(pieces: string[]): Server {
  return createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of pieces) response.write(piece);
      response.end();
    });
  });
}

describe('OrchestratorClient reading an answer stream', () => {
  let server: Server;
  let client: OrchestratorClient;

  beforeAll(async () => {
    const answer = { answer: 'Run keel policy rollback.', citations: [] };
    server = streamingServer([
      ': heartbeat\r\n\r\n',
      'data: {"type":"delta",\r\ndata: "text":"Run keel "}\r\n\r\n',
      'data:{"type":"delta","text":"policy rollback."}\r\n\r\n',
      `data: ${JSON.stringify({ type: 'done', answer })}\r\n\r\n`,
    ]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OrchestratorClient({
      url: `http://127.0.0.1:${port}`,
      secret: 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf',
      timeoutMs: 5_000,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads CRLF line ends, multi-line data and data without a space', async () => {
    const deltas: string[] = [];
    const answer = await client.answer(
      { message: 'How do I roll back a policy?' },
      { onDelta: (text) => deltas.push(text) },
    );
    expect(deltas).toEqual(['Run keel ', 'policy rollback.']);
    expect(answer.answer).toBe('Run keel policy rollback.');
  });
});
