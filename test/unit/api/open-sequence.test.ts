/**
 * The open sequence of connect() against a scripted fake daemon on a unix
 * socket: which procedures are called, in which order, with which
 * arguments, and how authentication choices and failures come out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  LibvirtError,
  RemoteAuthType,
  remoteProcedures,
  UnsupportedError,
  UriError,
  VIR_CONNECT_RO,
  VIR_ERR_NO_CONNECT,
  VirNetMessageStatus,
  VirNetMessageType,
  decodeXdr,
  encodeXdr,
  virNetMessageErrorCodec,
  type Procedure,
} from '../../../src/index.js';
import { encodeFrame, FrameReader, type Frame } from '../../../src/rpc/frame.js';

type Handler = (args: unknown) => unknown;

interface FakeDaemon {
  readonly socketPath: string;
  /** `.x` names of the procedures called, in order. */
  readonly calls: { name: string; args: unknown }[];
  close(): Promise<void>;
}

const byNumber = new Map<number, Procedure>(
  Object.values(remoteProcedures).map((p) => [p.number, p as Procedure]),
);

const defaults: Record<string, Handler> = {
  REMOTE_PROC_AUTH_LIST: () => ({ types: [RemoteAuthType.REMOTE_AUTH_NONE] }),
  REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: () => ({ supported: 1 }),
  REMOTE_PROC_CONNECT_OPEN: () => undefined,
  REMOTE_PROC_CONNECT_GET_URI: () => ({ uri: 'fake:///chosen' }),
  REMOTE_PROC_CONNECT_CLOSE: () => undefined,
  REMOTE_PROC_CONNECT_GET_HOSTNAME: () => ({ hostname: 'fakehost' }),
};

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Error replies are thrown as `{ error: {...} }` by handlers. */
class ReplyError {
  constructor(readonly code: number, readonly message: string) {}
}

async function fakeDaemon(handlers: Record<string, Handler> = {}): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'lvrpc-fake-'));
  dirs.push(dir);
  const socketPath = join(dir, 'sock');
  const calls: { name: string; args: unknown }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) =>
      reader.push(chunk, (frame: Frame) => {
        const proc = byNumber.get(frame.header.proc);
        if (!proc || frame.header.type !== VirNetMessageType.VIR_NET_CALL) return;
        const args = proc.args ? decodeXdr(proc.args, frame.payload) : undefined;
        calls.push({ name: proc.name, args });
        const handler = handlers[proc.name] ?? defaults[proc.name];
        const header = { ...frame.header, type: VirNetMessageType.VIR_NET_REPLY };
        try {
          if (!handler) throw new ReplyError(1, `fake daemon has no handler for ${proc.name}`);
          const ret = handler(args);
          const body = proc.ret ? encodeXdr(proc.ret, ret) : Buffer.alloc(0);
          sock.write(encodeFrame({ ...header, status: VirNetMessageStatus.VIR_NET_OK }, (w) => w.bytes(body)));
        } catch (e) {
          const err = e instanceof ReplyError ? e : new ReplyError(1, String(e));
          const body = encodeXdr(virNetMessageErrorCodec, {
            code: err.code, domain: 7, message: err.message, level: 2, dom: null,
            str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null,
          });
          sock.write(encodeFrame({ ...header, status: VirNetMessageStatus.VIR_NET_ERROR }, (w) => w.bytes(body)));
        }
      }),
    );
    sock.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    calls,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('connect() open sequence', () => {
  it('follows the remote driver: auth, keepalive feature, CONNECT_OPEN, event and close features', async () => {
    const fake = await fakeDaemon();
    const conn = await connect(`test+unix:///some/node.xml?socket=${fake.socketPath}&extra=1`, { keepalive: false });
    expect(fake.calls.map((c) => c.name)).toEqual([
      'REMOTE_PROC_AUTH_LIST',
      'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE',
      'REMOTE_PROC_CONNECT_OPEN',
      'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE',
      'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE',
    ]);
    expect(fake.calls.filter((c) => c.name === 'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE').map((c) => c.args)).toEqual([
      { feature: 10 },
      { feature: 14 },
      { feature: 15 },
    ]);
    // The name sent keeps the parameters the client does not consume, without the transport.
    expect(fake.calls[2].args).toEqual({ name: 'test:///some/node.xml?extra=1', flags: 0 });
    expect(conn.features).toEqual({ keepalive: true, eventCallbacks: true, closeCallback: true });
    expect(await conn.raw.connectGetHostname()).toBe('fakehost');
    await conn.close();
    expect(fake.calls.at(-1)?.name).toBe('REMOTE_PROC_CONNECT_CLOSE');
  });

  it('sends VIR_CONNECT_RO for a read-only open and name= overrides the name', async () => {
    const fake = await fakeDaemon();
    await using conn = await connect(`qemu+unix:///system?socket=${fake.socketPath}&name=qemu:///embed`, { readonly: true });
    expect(conn.readOnly).toBe(true);
    expect(fake.calls[2].args).toEqual({ name: 'qemu:///embed', flags: VIR_CONNECT_RO });
  });

  it('asks CONNECT_GET_URI when the daemon chooses the driver', async () => {
    const fake = await fakeDaemon();
    await using conn = await connect(`remote+unix:///?socket=${fake.socketPath}`);
    expect(fake.calls[2].args).toEqual({ name: '', flags: 0 });
    expect(fake.calls[3].name).toBe('REMOTE_PROC_CONNECT_GET_URI');
    expect(conn.uri).toBe('fake:///chosen');
  });

  it('treats a failed feature query as unsupported, as libvirt does', async () => {
    const fake = await fakeDaemon({
      REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: (a) => {
        if ((a as { feature: number }).feature === 14) throw new ReplyError(3, 'this function is not supported');
        return { supported: 0 };
      },
    });
    await using conn = await connect(`test+unix:///default?socket=${fake.socketPath}`);
    expect(conn.features).toEqual({ keepalive: false, eventCallbacks: false, closeCallback: false });
  });

  it('authenticates with polkit when that is what the daemon offers', async () => {
    const fake = await fakeDaemon({
      REMOTE_PROC_AUTH_LIST: () => ({ types: [RemoteAuthType.REMOTE_AUTH_POLKIT] }),
      REMOTE_PROC_AUTH_POLKIT: () => ({ complete: 1 }),
    });
    await using conn = await connect(`test+unix:///default?socket=${fake.socketPath}`);
    expect(fake.calls.map((c) => c.name).slice(0, 3)).toEqual([
      'REMOTE_PROC_AUTH_LIST',
      'REMOTE_PROC_AUTH_POLKIT',
      'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE',
    ]);
    expect(conn.isOpen).toBe(true);
  });

  it('fails clearly, and closes, when the daemon wants SASL and no credentials are given', async () => {
    const fake = await fakeDaemon({
      REMOTE_PROC_AUTH_LIST: () => ({ types: [RemoteAuthType.REMOTE_AUTH_SASL] }),
      REMOTE_PROC_AUTH_SASL_INIT: () => ({ mechlist: 'SCRAM-SHA-256' }),
    });
    const noAuthConf = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };
    const err = await connect(`test+unix:///default?socket=${fake.socketPath}`, { env: noAuthConf }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((err as Error).message).toMatch(/SASL SCRAM-SHA-256 needs VIR_CRED_AUTHNAME/);
    expect(fake.calls.map((c) => c.name)).toEqual(['REMOTE_PROC_AUTH_LIST', 'REMOTE_PROC_AUTH_SASL_INIT']);
  });

  it('fails when auth= asks for a method the daemon does not offer', async () => {
    const fake = await fakeDaemon();
    const err = await connect(`test+unix:///default?socket=${fake.socketPath}&auth=polkit`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toContain('polkit');
    expect((err as Error).message).toContain('none');
  });

  it('passes the daemon\'s refusal of CONNECT_OPEN through as a LibvirtError', async () => {
    const fake = await fakeDaemon({
      REMOTE_PROC_CONNECT_OPEN: () => {
        throw new ReplyError(VIR_ERR_NO_CONNECT, 'no connection driver available for bogus:///x');
      },
    });
    const err = await connect(`bogus+unix:///x?socket=${fake.socketPath}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe('VIR_ERR_NO_CONNECT');
    expect((err as Error).message).toBe('no connection driver available for bogus:///x');
  });

  it('rejects an unknown transport before any I/O', async () => {
    const err = await connect('qemu+carrierpigeon://host/system').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UriError);
    expect((err as Error).message).toContain('carrierpigeon');
  });
});
