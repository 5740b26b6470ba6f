/**
 * Opening SSH connections with ssh2 and running libvirt's remote command,
 * the way libvirt's libssh/libssh2 sessions go (virNet*SessionConnect):
 * TCP connect, SSH handshake, host key check, login, then an exec channel
 * with the remote command. Jump hosts (ProxyJump) are hops: each connection
 * after the first runs over a `direct-tcpip` channel of the one before.
 *
 * Bounds: the caller's `signal` and `timeout` cover the whole dial; besides,
 * a server that stays silent for 20 s (`ConnectTimeout`-like; the time spent
 * waiting for the user to answer a prompt does not count) fails the dial.
 * Whatever was opened is closed on failure.
 */
import { ArgumentError } from '../../errors/root.js';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { TransportError } from '../../rpc/errors.js';
import { bounded, linkedSignal, raceSignal } from '../../util/deadline.js';
import { dialTcp } from '../tcp.js';
import { SshAuthenticator, type AuthContext, type AuthStep } from './auth.js';
import { SshChannelStream } from './channel-stream.js';
import { endpointName, SshTransportError } from './errors.js';
import { verifyHostKey, type HostKeyPolicy } from './host-key.js';
import { knownKeyTypes } from './known-hosts.js';
import type { Ssh2Module } from './load.js';

/** One SSH server to log in to (a jump host or the target). */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly hostKeys: HostKeyPolicy;
  readonly steps: readonly AuthStep[];
  /** The password of the URI's user part (target only). */
  readonly uriPassword: string | null;
  /** Prompts allowed (not batch mode). */
  readonly interactive: boolean;
  /** Milliseconds of silence from the server before giving up (default 20 000). */
  readonly silenceMs?: number;
}

/** What the whole chain shares. */
export interface SessionOptions {
  readonly ssh2: Ssh2Module;
  readonly signal?: AbortSignal;
  readonly timeout?: number;
  readonly credentials?: AuthContext['credentials'];
  readonly authConfig: AuthContext['authConfig'];
  /** ssh2's debug lines, for diagnostics. */
  readonly debug?: (line: string) => void;
}

const DEFAULT_SERVER_HOST_KEY = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Host key algorithms with the types already known for the host first (as OpenSSH orders them), so a known key is the one negotiated. */
export function hostKeyAlgorithms(known: readonly string[]): string[] {
  const first: string[] = [];
  for (const t of known) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos) if (DEFAULT_SERVER_HOST_KEY.includes(a) && !first.includes(a)) first.push(a);
  }
  return [...first, ...DEFAULT_SERVER_HOST_KEY.filter((a) => !first.includes(a))];
}

/** A watchdog for server silence that stops while the user is being asked something. */
class Silence {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiting = 0;
  constructor(
    private readonly ms: number,
    private readonly onFire: () => void,
  ) {}
  kick(): void {
    clearTimeout(this.timer);
    if (this.waiting === 0) this.timer = setTimeout(this.onFire, this.ms);
  }
  async around<T>(work: () => Promise<T>): Promise<T> {
    this.waiting++;
    clearTimeout(this.timer);
    try {
      return await work();
    } finally {
      this.waiting--;
      this.kick();
    }
  }
  stop(): void {
    clearTimeout(this.timer);
    this.waiting = 1;
  }
}

type Level = Error & { level?: string; code?: unknown };

/** Logs in to one endpoint over `sock` (a TCP socket, or a channel of the previous hop). */
function login(endpoint: SshEndpoint, sock: Duplex, opts: SessionOptions, cancel: AbortSignal): Promise<Client> {
  const where = endpointName(endpoint.host, endpoint.port);
  const client = new opts.ssh2.Client();
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let hostKeyError: Error | null = null;
    const silence = new Silence(endpoint.silenceMs ?? 20_000, () =>
      fail(
        new SshTransportError(`the SSH server ${where} did not answer within ${endpoint.silenceMs ?? 20_000} ms`, { failure: 'unreachable', endpoint: where }),
      ),
    );
    const ctx: AuthContext = {
      ssh2: opts.ssh2,
      username: endpoint.username,
      host: endpoint.host,
      endpoint: where,
      ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
      authConfig: opts.authConfig,
      uriPassword: endpoint.uriPassword,
      interactive: endpoint.interactive,
      waitForUser: (work) => silence.around(work),
    };
    const auth = new SshAuthenticator(endpoint.steps, ctx);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      silence.stop();
      cancel.removeEventListener('abort', onCancel);
      client.removeAllListeners('error');
      client.on('error', () => {});
      client.end();
      sock.destroy();
      reject(err);
    };
    const onCancel = (): void => fail(cancel.reason as Error);
    cancel.addEventListener('abort', onCancel, { once: true });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      silence.stop();
      cancel.removeEventListener('abort', onCancel);
      client.removeAllListeners('error');
      client.on('error', () => {}); // later errors reach the channel stream
      resolve(client);
    });
    client.on('error', (err: Level) => {
      if (err.level === 'agent') return; // an agent key could not be used: the next method is tried
      if (hostKeyError !== null) return fail(hostKeyError);
      if (err.level === 'client-authentication' || auth.fatal !== null) return fail(auth.failure());
      if (typeof err.code === 'number' && auth.attempts.length > 0) {
        // The server disconnected during the login (too many failures, ...).
        const f = auth.failure();
        return fail(
          new SshTransportError(`${f.message}; the server disconnected: ${err.message}`, {
            failure: 'auth',
            endpoint: where,
            authAttempts: f.authAttempts,
            cause: err,
          }),
        );
      }
      const handshake = err.level === 'handshake' || err.level === 'protocol';
      fail(
        new SshTransportError(`SSH session handshake with ${where} failed: ${err.message}`, {
          failure: handshake ? 'handshake' : 'disconnected',
          endpoint: where,
          cause: err,
        }),
      );
    });
    client.on('close', () =>
      fail(
        new SshTransportError(`the SSH server ${where} closed the connection during the ${auth.attempts.length ? 'login' : 'handshake'}`, {
          failure: auth.attempts.length ? 'auth' : 'disconnected',
          endpoint: where,
          authAttempts: auth.attempts,
        }),
      ),
    );
    sock.on('data', () => silence.kick());
    silence.kick();
    client.connect({
      sock,
      username: endpoint.username,
      readyTimeout: 0,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(endpoint.hostKeys.lines, endpoint.host, endpoint.port)) as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        void silence
          .around(() => verifyHostKey(endpoint.hostKeys, endpoint.host, endpoint.port, key))
          .then(
            () => verify(true),
            (err: Error) => {
              hostKeyError = err;
              verify(false);
            },
          );
      },
      authHandler: (left, partial, next) => {
        silence.kick();
        auth.handler(left, partial, next);
      },
      ...(opts.debug ? { debug: opts.debug } : {}),
    });
  });
}

/** `work`, failing with `onSilence()` when it has not settled after `ms`. */
function within<T>(ms: number, work: Promise<T>, onSilence: () => Error): Promise<T> {
  return bounded<T>({ timeout: ms, timeoutReason: onSilence }, (ok, fail) => {
    work.then(ok, fail);
    return undefined;
  });
}

function forward(client: Client, host: string, port: number, from: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) {
        reject(
          new SshTransportError(`the jump host ${from} could not open a connection to ${endpointName(host, port)}: ${err.message}`, {
            failure: 'unreachable',
            endpoint: from,
            cause: err,
          }),
        );
      } else {
        resolve(stream);
      }
    });
  });
}

function exec(client: Client, command: string, where: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(
          new SshTransportError(`failed to execute command '${command}' on ${where}: ${err.message}`, {
            failure: 'other',
            endpoint: where,
            cause: err,
          }),
        );
      } else {
        resolve(channel);
      }
    });
  });
}

/**
 * Connects through `chain` (jump hosts first, the target last), runs
 * `command` on the target and resolves with the channel as a stream.
 *
 * @throws SshTransportError (host key, login, handshake, remote command),
 *   TransportError (TCP), AbortError, TimeoutError.
 */
export async function openSshChannel(
  chain: readonly SshEndpoint[],
  command: string,
  remoteSocket: string | null,
  opts: SessionOptions,
): Promise<SshChannelStream> {
  if (chain.length === 0) throw new ArgumentError('openSshChannel: no endpoint');
  opts.signal?.throwIfAborted();
  const target0 = chain.at(-1)!;
  // One signal for every step: the caller's abort or the dial's timeout.
  const cancel = linkedSignal(opts, `connecting over SSH to ${endpointName(target0.host, target0.port)}`);
  const clients: Client[] = [];
  const untilCancelled = <T>(p: Promise<T>): Promise<T> => raceSignal(p, cancel.signal);
  try {
    const first = chain[0]!;
    let sock: Duplex = await untilCancelled(dialTcp(first.host, first.port, { signal: cancel.signal })).catch((err: unknown) => {
      if (err instanceof TransportError && !(err instanceof SshTransportError)) {
        throw new SshTransportError(`cannot connect to the SSH server ${endpointName(first.host, first.port)}: ${err.message}`, {
          failure: 'unreachable',
          endpoint: endpointName(first.host, first.port),
          errno: err.errno,
          cause: err,
        });
      }
      throw err;
    });
    for (let i = 0; i < chain.length; i++) {
      const client = await login(chain[i]!, sock, opts, cancel.signal);
      clients.push(client);
      const next = chain[i + 1];
      if (next !== undefined) {
        const from = endpointName(chain[i]!.host, chain[i]!.port);
        const ms = chain[i]!.silenceMs ?? 20_000;
        sock = await untilCancelled(
          within(
            ms,
            forward(client, next.host, next.port, from),
            () =>
              new SshTransportError(`the jump host ${from} did not open a connection to ${endpointName(next.host, next.port)} within ${ms} ms`, {
                failure: 'unreachable',
                endpoint: from,
              }),
          ),
        );
      }
    }
    const target = chain.at(-1)!;
    const where = endpointName(target.host, target.port);
    const ms = target.silenceMs ?? 20_000;
    const channel = await untilCancelled(
      within(
        ms,
        exec(clients.at(-1)!, command, where),
        () => new SshTransportError(`the SSH server ${where} did not start the remote command within ${ms} ms`, { failure: 'unreachable', endpoint: where }),
      ),
    );
    return new SshChannelStream(channel, clients, `${target.username}@${where}`, where, remoteSocket);
  } catch (err) {
    for (const c of clients.reverse()) c.end();
    throw err;
  } finally {
    cancel.dispose();
  }
}
