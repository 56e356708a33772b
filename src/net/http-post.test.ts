import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpPost } from './http-post.js';

let server: Server | undefined;

/**
 * A server that echoes each body back (with `status`, 200 unless given), or with `hang` sends
 * headers and half a body, then waits; with `bom` the reply starts with a byte-order mark.
 */
async function start(options: { hang?: boolean; status?: number; bom?: boolean } = {}) {
  let connections = 0;
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.writeHead(options.status ?? 200, { 'content-type': 'text/plain', 'x-echo': 'yes' });
      if (options.hang) response.write('first half');
      else response.end(`${options.bom ? '\uFEFF' : ''}echo ${body}`);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, connections: () => connections };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('httpPost', () => {
  it('sends the body and reads the reply, one connection kept for calls that follow', async () => {
    const { url, connections } = await start();
    const signal = new AbortController().signal;
    for (const body of ['one', 'two', 'three']) {
      const reply = await httpPost(url, { headers: {}, body, signal });
      expect([reply.status, reply.ok, reply.header('X-Echo')]).toEqual([200, true, 'yes']);
      expect(await reply.text()).toBe(`echo ${body}`);
    }
    expect(connections()).toBe(1);
  });

  it('drops a leading byte-order mark, as fetch did, whole or chunk by chunk', async () => {
    const { url } = await start({ bom: true });
    const signal = new AbortController().signal;
    expect(await (await httpPost(url, { headers: {}, body: '{}', signal })).text()).toBe('echo {}');
    const chunks: string[] = [];
    for await (const chunk of (await httpPost(url, { headers: {}, body: '[]', signal })).chunks())
      chunks.push(chunk);
    expect(chunks.join('')).toBe('echo []');
  });

  it('a discarded reply received whole leaves its connection to the next call', async () => {
    const { url, connections } = await start({ status: 503 });
    const signal = new AbortController().signal;
    const unread = await httpPost(url, { headers: {}, body: 'busy?', signal });
    // The short body has arrived by now; nobody reads it (a 503 without JSON needs no reading).
    await new Promise((resolve) => setTimeout(resolve, 50));
    unread.discard();
    // The drained connection goes back to the agent once the body's end is read, a tick later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await httpPost(url, { headers: {}, body: 'again', signal });
    expect([next.status, await next.text()]).toEqual([503, 'echo again']);
    expect(connections()).toBe(1);
  });

  it("rejects with the signal's reason when it aborts halfway through the body", async () => {
    const { url } = await start({ hang: true });
    const controller = new AbortController();
    const reply = await httpPost(url, { headers: {}, body: 'x', signal: controller.signal });
    const chunks = reply.chunks()[Symbol.asyncIterator]();
    expect((await chunks.next()).value).toBe('first half');
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(chunks.next()).rejects.toBe(reason);
  });

  it("rejects with the signal's reason when it aborts before the reply", async () => {
    const { url } = await start();
    const reason = new Error('too late');
    await expect(
      httpPost(url, { headers: {}, body: 'x', signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });
});
