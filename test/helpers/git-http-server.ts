import { spawn } from 'node:child_process';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`; repositories are under it by their folder name. */
  origin: string;
  /** Every request as it arrived: path and query, and the Authorization header if any. */
  requests: { url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A real git smart-HTTP server: `git http-backend` run as CGI for each request, behind Basic auth
 * for one user (401 with a challenge otherwise), serving the bare repositories in `projectRoot`.
 *
 * @example
 *   const server = await startGitHttpServer({ projectRoot, username: 'bot', password: 's3cret' });
 *   // git clone http://bot:s3cret@127.0.0.1:<port>/kb.git works; without the password it does not
 */
export async function startGitHttpServer(options: {
  projectRoot: string;
  username: string;
  password: string;
}): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  const requests: GitHttpServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    const authorization = request.headers.authorization;
    requests.push({ url: request.url ?? '', authorization });
    if (authorization !== expected) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('unauthorized');
      return;
    }
    runHttpBackend(options.projectRoot, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function runHttpBackend(projectRoot: string, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://git.test');
  const header = (name: string) => request.headers[name] as string | undefined;
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: header('content-type') ?? '',
      REMOTE_USER: 'bot',
      REMOTE_ADDR: '127.0.0.1',
      ...(header('content-encoding') && { HTTP_CONTENT_ENCODING: header('content-encoding') }),
      ...(header('git-protocol') && { GIT_PROTOCOL: header('git-protocol') }),
    },
  });
  request.pipe(backend.stdin);
  const chunks: Buffer[] = [];
  backend.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  backend.on('close', () => {
    const output = Buffer.concat(chunks);
    const split = output.indexOf('\r\n\r\n');
    const headerEnd = split >= 0 ? split : output.indexOf('\n\n');
    const separator = split >= 0 ? 4 : 2;
    if (headerEnd < 0) {
      response.writeHead(500).end('git http-backend gave no headers');
      return;
    }
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of output.subarray(0, headerEnd).toString('utf8').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    response.writeHead(status, headers).end(output.subarray(headerEnd + separator));
  });
}
