/**
 * Bring your own stream: `connect(uri, { stream })` runs the protocol over a Duplex the caller
 * made (a socket, a relay of its own like a WebSocket would be, an ssh2 channel it manages) or
 * one a dial function returns when given the resolved plan; the URI still gives the driver name.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { Duplex } from 'node:stream';
import { Client } from 'ssh2';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { startSshd, type Sshd } from '../../harness/sshd.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { ArgumentError, connect, ConnectionClosedError, type RemotePlan } from '../../src/index.js';
import { startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

let daemon: PrivateDaemon;
let sshd: Sshd;

beforeAll(async () => {
  daemon = await startExtraDaemon({ label: 'byo' });
  sshd = await startSshd();
});

afterAll(async () => {
  await sshd?.stop();
});

/** A relay Duplex of our own over a socket: what a WebSocket adapter would look like. */
function relay(socket: net.Socket): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  return d;
}

async function names(conn: Awaited<ReturnType<typeof connect>>): Promise<string[]> {
  return (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort();
}

describe('connect({ stream })', () => {
  it('a Duplex: a socket the caller opened', async () => {
    const node = writeTestNodeXml(path.join(daemon.dir, 'nodes'));
    await using conn = await connect(`test://${node}`, { timeout: 15_000, stream: net.connect(daemon.socketPath) });
    const oracle = await pyLibvirt<string[]>(`test+unix://${node}?socket=${daemon.socketPath}`, 'result = sorted(d.name() for d in conn.listAllDomains())');
    expect(await names(conn)).toEqual(oracle);
  });

  it('a dial function, given the resolved plan, returning a relay of its own', async () => {
    const seen: RemotePlan[] = [];
    await using conn = await connect('test:///default', {
      timeout: 15_000,
      stream: async (plan, opts) => {
        seen.push(plan);
        expect(opts.timeout).toBe(15_000);
        const socket = net.connect(daemon.socketPath);
        await new Promise((r) => socket.once('connect', r));
        return relay(socket);
      },
    });
    expect(seen[0]!.connectName).toBe('test:///default');
    expect(seen[0]!.transport).toBe('unix');
    expect(await names(conn)).toEqual(['test']);
  });

  it('an ssh2 channel the caller manages (exec nc -U on the far side)', async () => {
    const ssh = new Client();
    await new Promise<void>((resolve, reject) => {
      ssh
        .once('ready', resolve)
        .once('error', reject)
        .connect({
          host: '127.0.0.1',
          port: sshd.port,
          username: 'lvtest',
          privateKey: fs.readFileSync(sshd.clientKey!.privatePath),
          hostVerifier: (key: Buffer) => key.toString('base64') === sshd.hostKeyText.split(' ')[1],
        });
    });
    try {
      const channel = await new Promise<Duplex>((resolve, reject) => ssh.exec(`nc -U ${daemon.socketPath}`, (err, ch) => (err ? reject(err) : resolve(ch))));
      await using conn = await connect('test:///default', { timeout: 15_000, stream: channel });
      expect(await names(conn)).toEqual(['test']);
      expect(await conn.raw.connectGetHostname()).toBe(
        await pyLibvirt<string>(`test+unix:///default?socket=${daemon.socketPath}`, 'result = conn.getHostname()'),
      );
    } finally {
      ssh.end();
    }
  });

  it('failures: a dial function that throws, something that is not a stream, a stream that ends at once', async () => {
    const boom = new Error('no route to my relay');
    await expect(connect('test:///default', { stream: () => Promise.reject(boom) })).rejects.toBe(boom);
    await expect(connect('test:///default', { stream: (() => ({})) as unknown as () => Duplex })).rejects.toThrow(ArgumentError);
    const dead = new Duplex({
      read() {
        this.push(null);
      },
      write(_c, _e, cb) {
        cb();
      },
    });
    const err = await connect('test:///default', { stream: dead, timeout: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
  });
});
