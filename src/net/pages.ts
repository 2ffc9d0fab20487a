/** The server's HTTP pages: the browser client, the token-protected dashboard, and their bundles. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { webBundles, webRoot } from './bundle.js';

// Everything the pages load comes from this server; images arrive as blobs over the dashboard's WebSocket.
const headers = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Answers one HTTP request: GET /client, /client.js, /dashboard?token=…, /dashboard.js; / redirects to the client
 * page. The dashboard page needs the token (its WebSocket needs it again); the client page asks for it.
 * @example http.createServer((req, res) => servePage(req, res, { authorized: (t) => tokenMatches(token, t) }));
 */
export async function servePage(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { authorized: (token: string | null) => boolean },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  switch (url.pathname) {
    case '/':
      res.writeHead(302, { location: '/client' }).end();
      return;
    case '/client':
      return html(res, 'client.html');
    case '/favicon.ico':
      res.writeHead(204).end();
      return;
    case '/dashboard':
      if (!opts.authorized(url.searchParams.get('token'))) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', ...headers });
        res.end('401: the dashboard needs the deployment token: /dashboard?token=… (fedleak serve prints the link)\n');
        return;
      }
      return html(res, 'dashboard.html');
    case '/client.js':
    case '/dashboard.js': {
      const bundles = await webBundles();
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...headers });
      res.end(url.pathname === '/client.js' ? bundles.client : bundles.dashboard);
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end('not found\n');
  }
}

async function html(res: ServerResponse, file: string): Promise<void> {
  const body = await readFile(join(webRoot, file));
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
}
