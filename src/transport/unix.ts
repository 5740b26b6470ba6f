/**
 * Dialer for a libvirt daemon's unix socket (`/run/libvirt/libvirt-sock`, ...).
 */
import { createConnection, type Socket } from 'node:net';
import { TransportError } from '../rpc/errors.js';
import { bounded } from '../util/deadline.js';
import { reusedReadBuffer } from './read-buffer.js';

/** Options of the dialers. */
export interface DialOptions {
  /** Cancels the attempt: it rejects with an AbortError and the socket is destroyed. */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait for the connection before rejecting with a TimeoutError. */
  readonly timeout?: number;
}

/**
 * Connects a unix socket at `path`. Resolves with the connected socket.
 *
 * Rejects with a TransportError (`errno` and `cause` kept): `ENOENT` → "no
 * libvirt daemon socket at <path>", `ECONNREFUSED` → nobody listens on it,
 * `EACCES` → permission denied; with an AbortError or a TimeoutError otherwise.
 * The socket reads into one reused buffer (see read-buffer.ts).
 */
export function dialUnix(path: string, opts: DialOptions = {}): Promise<Socket> {
  let socket: Socket;
  const create = (): Socket => (socket = createConnection({ path, onread: reusedReadBuffer(() => socket) }));
  return awaitConnect(create, { ...opts, socketPath: path }, `unix socket ${path}`, (err) => {
    switch (err.code) {
      case 'ENOENT':
        return `no libvirt daemon socket at ${path}`;
      case 'ECONNREFUSED':
        return `connection refused by ${path}: no daemon is listening on that socket`;
      case 'EACCES':
      case 'EPERM':
        return `permission denied connecting to ${path}`;
      default:
        return `cannot connect to ${path}: ${err.message}`;
    }
  });
}

/**
 * Shared by the dialers: creates the socket, waits for `connect`, honours
 * `signal` and `timeout`, and turns a failure into a TransportError with the
 * message `describe` gives. Any socket that does not connect is destroyed.
 */
export function awaitConnect(
  create: () => Socket,
  opts: DialOptions & { readonly socketPath?: string },
  target: string,
  describe: (err: NodeJS.ErrnoException) => string,
): Promise<Socket> {
  let socket: Socket | undefined;
  return bounded<Socket>(
    { signal: opts.signal, timeout: opts.timeout, timeoutReason: `connecting to ${target}`, onFail: () => socket?.destroy() },
    (ok, fail) => {
      try {
        socket = create();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new TransportError(describe(e), e.code ?? null, { cause: err, socketPath: opts.socketPath });
      }
      const s = socket;
      const onConnect = (): void => ok(s);
      const onError = (err: NodeJS.ErrnoException): void =>
        fail(new TransportError(describe(err), err.code ?? null, { cause: err, socketPath: opts.socketPath }));
      s.once('connect', onConnect);
      s.once('error', onError);
      return () => {
        s.off('connect', onConnect);
        s.off('error', onError);
      };
    },
  );
}
