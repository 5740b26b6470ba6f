/**
 * Dialer for a libvirt daemon's unix socket (`/run/libvirt/libvirt-sock`, ...).
 */
import { createConnection, type Socket } from 'node:net';
import { abortErrorFor, TimeoutError, TransportError } from '../rpc/errors.js';
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
  const { signal, timeout } = opts;
  if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
  return new Promise<Socket>((resolve, reject) => {
    let socket: Socket;
    try {
      socket = create();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      reject(new TransportError(describe(e), e.code ?? null, { cause: err, socketPath: opts.socketPath }));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      fail(new TransportError(describe(err), err.code ?? null, { cause: err, socketPath: opts.socketPath }));
    };
    const onAbort = (): void => fail(abortErrorFor(signal!));
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined && Number.isFinite(timeout)) {
      const ms = Math.max(0, timeout);
      timer = setTimeout(() => fail(new TimeoutError(`timed out after ${ms} ms connecting to ${target}`, ms)), ms);
    }
  });
}
