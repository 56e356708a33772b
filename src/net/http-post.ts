import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// Node's own defaults for its global agents, held here so nothing else in the process can change
// them: connections stay open between calls (a model API is called on every chat request), the
// most recently used one is reused first, and an idle one is closed after 5 s or just before the
// server's own Keep-Alive hint runs out.
const AGENT_OPTIONS = { keepAlive: true, scheduling: 'lifo', timeout: 5_000 } as const;
const httpAgent = new HttpAgent(AGENT_OPTIONS);
const httpsAgent = new HttpsAgent(AGENT_OPTIONS);

/** What came back: status and headers at once, the body read as a whole or chunk by chunk. */
export interface HttpReply {
  status: number;
  ok: boolean;
  header(name: string): string | undefined;
  /** The whole body as UTF-8. */
  text(): Promise<string>;
  /** The body as UTF-8 chunks as they arrive. */
  chunks(): AsyncIterable<string>;
  /**
   * Stops reading: a body received whole is drained so its connection serves the next call; an
   * unfinished one closes its connection so the server stops sending.
   */
  discard(): void;
}

/**
 * POSTs `body` over a kept-alive connection. Node's http client rather than `fetch`: measured
 * on the chat path, `fetch` cost twice the CPU per call (WHATWG request, headers and body
 * streams built and cloned for every call). Redirects are not followed and no compression is
 * asked for. When `signal` aborts, the exchange stops and everything pending rejects with its
 * reason, whether the reply was still awaited or its body half read.
 *
 * @example
 *   const reply = await httpPost('http://127.0.0.1:11434/api/chat', {
 *     headers: { 'content-type': 'application/json' }, body: '{}', signal });
 *   if (reply.ok) console.log(await reply.text());
 */
export function httpPost(
  url: string,
  post: { headers: Record<string, string>; body: string; signal: AbortSignal },
): Promise<HttpReply> {
  const { signal } = post;
  if (signal.aborted) return Promise.reject(signal.reason);
  const secure = url.startsWith('https:');
  // Encoded once: measuring the string's length and then writing it would read it twice.
  const body = Buffer.from(post.body);
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const onAbort = () => (response ?? request).destroy(signal.reason);
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...post.headers, 'content-length': body.length },
      },
      (incoming) => {
        response = incoming;
        incoming.setEncoding('utf8');
        resolve(replyOf(incoming, signal));
      },
    );
    signal.addEventListener('abort', onAbort, { once: true });
    // 'close' comes once the reply is read to its end or the exchange broke off.
    request.on('close', () => signal.removeEventListener('abort', onAbort));
    request.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    request.end(body);
  });
}

function replyOf(response: IncomingMessage, signal: AbortSignal): HttpReply {
  const status = response.statusCode ?? 0;
  const failure = (error: unknown) => (signal.aborted ? signal.reason : error);
  // Until someone reads the body, a broken connection must not become an unhandled 'error'.
  response.on('error', () => undefined);
  return {
    status,
    ok: status >= 200 && status < 300,
    header: (name) => {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text: () =>
      new Promise((resolve, reject) => {
        let text = '';
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(withoutBom(text)));
        response.on('error', (error) => reject(failure(error)));
      }),
    chunks: async function* () {
      try {
        let first = true;
        for await (const chunk of response) {
          yield first ? withoutBom(chunk as string) : (chunk as string);
          first = false;
        }
      } catch (error) {
        throw failure(error);
      }
    },
    discard: () => {
      // Received whole but never read, the body still holds the connection: only its 'end'
      // hands the socket back to the agent.
      if (response.complete) response.resume();
      else response.destroy();
    },
  };
}

/** A leading byte-order mark is not part of the text (fetch's `text()` dropped it too). */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
