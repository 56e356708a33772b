import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OutboundGuard } from './outbound-guard.js';

/**
 * POSTs `body` to a user-given URL through the guard: the host is resolved and checked first,
 * and the connection goes to that checked address (a pinned `lookup`), never to whatever a
 * second DNS answer says. Redirects are not followed. Resolves with the status; the answer's
 * body is discarded.
 *
 * @example
 *   const status = await postOutbound(guard, 'https://hooks.example.com/keel', {
 *     body: '{}', headers: { 'content-type': 'application/json' }, signal });
 */
export async function postOutbound(
  guard: OutboundGuard,
  location: string,
  options: { body: string; headers: Record<string, string>; signal: AbortSignal },
): Promise<number> {
  const target = await guard.resolve(location);
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target.url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
        lookup: OutboundGuard.pinnedLookup(target),
        signal: options.signal,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
