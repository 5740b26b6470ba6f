/**
 * A scripted fake daemon over a unix socket, for the open-sequence and event
 * tests: answers the open sequence and the event (de)registration calls
 * (handlers may replace any of them), records every call, and sends MESSAGE
 * packets (events) on demand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Connection, type Procedure } from '../../../src/index.js';
import { qemuProcedures, RemoteAuthType, remoteProcedures, VirNetMessageStatus, VirNetMessageType, virNetMessageErrorCodec } from '../../../src/protocol.js';
import { decodeXdr, encodeXdr } from '../../../src/xdr/index.js';
import { encodeFrame, FrameReader, type Frame } from '../../../src/rpc/frame.js';

/** Thrown by handlers to answer with an error. */
export class ReplyError {
  constructor(readonly code: number, readonly message: string) {}
}

/** A handler returns the ret value; `{ before }` lets it send events before the reply. */
export type Handler = (args: unknown, daemon: FakeDaemon) => unknown;

export interface FakeDaemon {
  readonly socketPath: string;
  readonly calls: { name: string; args: unknown }[];
  /** Sends an event to every client. */
  emit(procName: string, msg: unknown): void;
  /** Names of the calls made, without the open sequence. */
  eventCalls(): { name: string; args: unknown }[];
  /** Drops every client connection. */
  dropClients(): void;
  close(): Promise<void>;
  /** Opens a client connection. */
  connect(): Promise<Connection>;
}

const byKey = new Map<string, Procedure>();
for (const p of Object.values(remoteProcedures)) byKey.set(`${p.programNumber}/${p.number}`, p as Procedure);
for (const p of Object.values(qemuProcedures)) byKey.set(`${p.programNumber}/${p.number}`, p as Procedure);
const byName = new Map<string, Procedure>([...byKey.values()].map((p) => [p.name, p]));

const OPEN_SEQUENCE = new Set(['REMOTE_PROC_AUTH_LIST', 'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE', 'REMOTE_PROC_CONNECT_OPEN', 'REMOTE_PROC_CONNECT_GET_URI', 'REMOTE_PROC_CONNECT_CLOSE']);

const cleanups: Array<() => Promise<void>> = [];

/** Closes every fake daemon (call in afterEach). */
export async function closeFakeDaemons(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((c) => c()));
}

/** Starts a fake daemon. `eventCallbacks: false` makes it an old daemon (no REMOTE_EVENT_CALLBACK). */
export async function fakeDaemon(opts: { handlers?: Record<string, Handler>; eventCallbacks?: boolean; closeCallback?: boolean } = {}): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'lvrpc-evfake-'));
  const socketPath = join(dir, 'sock');
  const calls: { name: string; args: unknown }[] = [];
  const sockets = new Set<Socket>();
  let nextCallbackId = 100;
  const defaults: Record<string, Handler> = {
    REMOTE_PROC_AUTH_LIST: () => ({ types: [RemoteAuthType.REMOTE_AUTH_NONE] }),
    REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: (a) => {
      const f = (a as { feature: number }).feature;
      if (f === 14) return { supported: opts.eventCallbacks === false ? 0 : 1 };
      if (f === 15) return { supported: opts.closeCallback === false ? 0 : 1 };
      return { supported: 0 };
    },
    REMOTE_PROC_CONNECT_OPEN: () => undefined,
    REMOTE_PROC_CONNECT_CLOSE: () => undefined,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: () => ({ callbackID: nextCallbackId++ }),
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY: () => ({ callbackID: nextCallbackId++ }),
    REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: () => ({ callbackID: nextCallbackId++ }),
    REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY: () => ({ callbackID: nextCallbackId++ }),
    REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY: () => ({ callbackID: nextCallbackId++ }),
    REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY: () => undefined,
    REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK: () => undefined,
    REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK: () => undefined,
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: () => ({ callbackID: nextCallbackId++ }),
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER: () => undefined,
  };
  const handlers = { ...defaults, ...opts.handlers };
  const eventFrame = (procName: string, msg: unknown): Buffer => {
    const p = byName.get(procName);
    if (!p?.args) throw new Error(`no event ${procName}`);
    const body = encodeXdr(p.args, msg);
    return encodeFrame(
      { prog: p.programNumber, vers: p.version, proc: p.number, type: VirNetMessageType.VIR_NET_MESSAGE, serial: 0, status: VirNetMessageStatus.VIR_NET_OK },
      (w) => w.bytes(body),
    );
  };
  const daemon: FakeDaemon = {
    socketPath,
    calls,
    emit: (procName, msg) => {
      const f = eventFrame(procName, msg);
      for (const s of sockets) s.write(f);
    },
    eventCalls: () => calls.filter((c) => !OPEN_SEQUENCE.has(c.name)),
    dropClients: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
    connect: () => connect(`test+unix:///default?socket=${socketPath}`, { keepalive: false }),
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) =>
      reader.push(chunk, (frame: Frame) => {
        const proc = byKey.get(`${frame.header.prog}/${frame.header.proc}`);
        if (!proc || frame.header.type !== VirNetMessageType.VIR_NET_CALL) return;
        const args = proc.args ? decodeXdr(proc.args, frame.payload) : undefined;
        calls.push({ name: proc.name, args });
        const handler = handlers[proc.name];
        const header = { ...frame.header, type: VirNetMessageType.VIR_NET_REPLY };
        try {
          if (!handler) throw new ReplyError(1, `fake daemon has no handler for ${proc.name}`);
          const ret = handler(args, daemon);
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
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(daemon.close);
  return daemon;
}

/** A domain as the daemon names it. */
export function dom(name: string, n: number, id = -1): { name: string; uuid: Uint8Array; id: number } {
  const uuid = new Uint8Array(16);
  uuid[15] = n;
  return { name, uuid, id };
}

/** Waits until `cond()` holds (bounded). */
export async function until(cond: () => boolean, what = 'condition', ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
