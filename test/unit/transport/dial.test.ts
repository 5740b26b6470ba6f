import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialTcp } from '../../../src/transport/tcp.js';
import { awaitConnect, dialUnix } from '../../../src/transport/unix.js';
import { AbortError, TimeoutError, TransportError } from '../../../src/rpc/errors.js';
import { ScriptedPeer } from '../../support/scripted-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'libvirt-rpc-dial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function listen(server: Server, arg: string | number): Promise<void> {
  return new Promise((resolve) => server.listen(arg, resolve));
}

describe('dialUnix', () => {
  it('connects to a listening socket', async () => {
    const path = join(dir, 'ok.sock');
    const server = createServer((s) => s.end('hi'));
    await listen(server, path);
    const sock = await dialUnix(path, { timeout: 5000 });
    const data = await new Promise<string>((resolve) => sock.once('data', (d) => resolve(String(d))));
    expect(data).toBe('hi');
    sock.destroy();
    server.close();
  });

  it('says there is no daemon socket for ENOENT', async () => {
    const path = join(dir, 'missing.sock');
    const err = await dialUnix(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ errno: 'ENOENT', message: `no libvirt daemon socket at ${path}` });
    expect((err as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('rejects with AbortError for an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort('stop');
    await expect(dialUnix(join(dir, 'x.sock'), { signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
      cause: 'stop',
    });
  });
});

describe('dialTcp', () => {
  it('connects to a listening port', async () => {
    const server = createServer((s) => s.end());
    await listen(server, 0);
    const { port } = server.address() as { port: number };
    const sock = await dialTcp('127.0.0.1', port);
    expect(sock.remotePort).toBe(port);
    sock.destroy();
    server.close();
  });

  it('says the connection was refused for ECONNREFUSED', async () => {
    const server = createServer();
    await listen(server, 0);
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const err = await dialTcp('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ errno: 'ECONNREFUSED', message: `connection refused by 127.0.0.1:${port}` });
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('is cancelled by its signal while connecting', async () => {
    const server = createServer();
    await listen(server, 0);
    const { port } = server.address() as { port: number };
    const ac = new AbortController();
    const p = dialTcp('127.0.0.1', port, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    server.close();
  });
});

describe('awaitConnect', () => {
  it('times out a connection that never completes and destroys the socket', async () => {
    const sock = new Socket();
    const err = await awaitConnect(
      () => sock,
      { timeout: 5 },
      'nowhere',
      () => 'x',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ message: 'timed out after 5 ms connecting to nowhere' });
    expect(sock.destroyed).toBe(true);
  });
});

describe('RpcClient over a real unix socket', () => {
  it('makes a call, then closes gracefully', async () => {
    const { RpcClient } = await import('../../../src/rpc/client.js');
    const { testProc } = await import('../rpc/helpers.js');
    const path = join(dir, 'rpc.sock');
    let peerEnded!: Promise<void>;
    const server = createServer((s) => {
      const peer = new ScriptedPeer(s);
      peerEnded = new Promise((resolve) => s.on('end', () => resolve()));
      void peer.waitFrames(1).then(([call]) => peer.reply(call!, call!.payload.readInt32BE(0) + 1));
    });
    await listen(server, path);
    const client = new RpcClient(await dialUnix(path));
    await expect(client.call(testProc(), 41)).resolves.toBe(42);
    await client.close();
    await peerEnded;
    await expect(client.closed).resolves.toMatchObject({ reason: 'client' });
    server.close();
  });
});
