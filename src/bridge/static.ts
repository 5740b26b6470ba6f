/**
 * The bridge's optional static file server (`staticDir`): the files of one directory over
 * plain HTTP GET/HEAD on the bridge's own port, so a page and the WebSocket it opens share an
 * Origin. Only files inside the directory are served (the resolved real path must stay in it:
 * no `..`, no symbolic link out of it); a directory serves its `index.html`.
 *
 * @module
 */
import { createReadStream, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { ArgumentError } from '../errors/root.js';

/** Content types by file extension; anything else is `application/octet-stream`. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** The content type the static server sends for `file`. */
export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** A request handler serving `dir`, for a `node:http` server. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => void;

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers }).end(`${text}\n`);
}

/**
 * Serves the files under `dir`. Throws an ArgumentError now if `dir` is not a directory.
 * @param log Receives one line per refused request (a path outside the directory).
 */
export function staticHandler(dir: string, log: (line: string) => void): StaticHandler {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (err) {
    throw new ArgumentError(`staticDir ${dir} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return (req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, `method ${req.method} is not allowed`, { allow: 'GET, HEAD' });
      let pathname: string;
      try {
        pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      } catch {
        return plain(res, 400, 'the path is not valid');
      }
      if (pathname.includes('\0')) return plain(res, 400, 'the path is not valid');
      let file = join(root, pathname);
      try {
        file = await realpath(file);
        if (file !== root && !file.startsWith(root + sep)) {
          log(`static: refused ${pathname}: outside ${root}`);
          return plain(res, 404, 'not found');
        }
        let info = await stat(file);
        if (info.isDirectory()) {
          file = await realpath(join(file, 'index.html'));
          if (!file.startsWith(root + sep)) return plain(res, 404, 'not found');
          info = await stat(file);
        }
        if (!info.isFile()) return plain(res, 404, 'not found');
        res.writeHead(200, {
          'content-type': contentTypeOf(file),
          'content-length': String(info.size),
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        const body = createReadStream(file);
        body.on('error', () => res.destroy());
        body.pipe(res);
      } catch {
        plain(res, 404, 'not found');
      }
    })();
  };
}
