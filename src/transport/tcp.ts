/**
 * Dialer for a libvirt daemon's TCP port (`qemu+tcp://`, 16509; `qemu+tls://`
 * wraps the socket it returns).
 */
import { createConnection, isIPv6, type Socket } from 'node:net';
import { reusedReadBuffer } from './read-buffer.js';
import { awaitConnect, type DialOptions } from './unix.js';

export type { DialOptions } from './unix.js';

/**
 * Connects to `host`:`port` (every address the name resolves to is tried, as
 * libvirt does) and sets TCP_NODELAY. Resolves with the connected socket.
 *
 * Rejects with a TransportError (`errno` and `cause` kept): `ECONNREFUSED` →
 * "connection refused by <host>:<port>", `ENOTFOUND` → the name does not
 * resolve, and others with the system's message; with an AbortError or a
 * TimeoutError otherwise. With `reuseReadBuffer` the socket reads into one
 * reused buffer (see read-buffer.ts; not for a socket TLS will wrap).
 */
export function dialTcp(host: string, port: number, opts: DialOptions & { readonly reuseReadBuffer?: boolean } = {}): Promise<Socket> {
  const where = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  let socket: Socket;
  const onread = opts.reuseReadBuffer ? reusedReadBuffer(() => socket) : undefined;
  return awaitConnect(
    () => (socket = createConnection({ host, port, noDelay: true, ...(onread ? { onread } : {}) })),
    opts,
    where,
    (err) => {
      switch (err.code) {
        case 'ECONNREFUSED':
          return `connection refused by ${where}`;
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return `cannot resolve host ${host}`;
        case 'ETIMEDOUT':
          return `timed out connecting to ${where}`;
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
          return `no route to ${where}`;
        default:
          return `cannot connect to ${where}: ${err.message}`;
      }
    },
  ).then((socket) => {
    socket.setNoDelay(true);
    return socket;
  });
}
