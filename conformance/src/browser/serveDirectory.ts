import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, wasm worker threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.npy': 'application/octet-stream',
};

/** A running static server. */
export interface StaticServer {
  /** Its address, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** Stops it (and ends open connections). */
  close(): Promise<void>;
}

/** Options of {@link serveDirectory}. */
export interface ServeOptions {
  /** Send COOP/COEP so pages are cross-origin isolated. @default false */
  readonly isolated?: boolean;
  /** Extra files by URL path (e.g. `/fixtures/0.json`), outside the directory. @default {} */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

/**
 * Serves a directory over HTTP on 127.0.0.1 (a free port; never another interface): `/` is its
 * index.html, paths outside it are 404.
 */
export async function serveDirectory(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const extra = options.extraFiles ?? {};
  const headers = options.isolated === true ? ISOLATION_HEADERS : {};
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const file = extra[path] ?? normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const inside = extra[path] !== undefined || file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
    let size = -1;
    try {
      if (inside && statSync(file).isFile()) size = statSync(file).size;
    } catch {}
    if (size < 0) {
      response.writeHead(404, { 'Content-Type': 'text/plain', ...headers }).end('not found');
      return;
    }
    response.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': 'no-store',
      ...headers,
    });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
