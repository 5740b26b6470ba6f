/**
 * The open sequence of connect() against a scripted fake daemon on a unix
 * socket: which procedures are called, in which order, with which
 * arguments, and how authentication choices and failures come out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, LibvirtError, UnsupportedError, UriError, VIR_CONNECT_RO, VIR_ERR_NO_CONNECT } from '../../../src/index.js';
import { RemoteAuthType } from '../../../src/protocol.js';
import { closeFakeDaemons, fakeDaemon as eventFakeDaemon, ReplyError, type FakeDaemon, type Handler } from '../../support/scripted-peer.js';

/** What the open-sequence tests expect of a daemon unless a test says otherwise. */
const OPEN_DEFAULTS: Record<string, Handler> = {
  REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: () => ({ supported: 1 }),
  REMOTE_PROC_CONNECT_GET_URI: () => ({ uri: 'fake:///chosen' }),
  REMOTE_PROC_CONNECT_GET_HOSTNAME: () => ({ hostname: 'fakehost' }),
};

afterEach(closeFakeDaemons);

function fakeDaemon(handlers: Record<string, Handler> = {}): Promise<FakeDaemon> {
  return eventFakeDaemon({ handlers: { ...OPEN_DEFAULTS, ...handlers } });
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
    expect(await conn.getURI()).toBe('fake:///chosen');
  });

  it('answers getURI() from the URI it was opened with, as virConnectGetURI does, without a call', async () => {
    const fake = await fakeDaemon();
    const uri = `test+unix:///some/node.xml?socket=${fake.socketPath}`;
    await using conn = await connect(uri);
    const calls = fake.calls.length;
    expect(await conn.getURI()).toBe(uri);
    expect(fake.calls.length).toBe(calls);
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
    expect(fake.calls.map((c) => c.name).slice(0, 3)).toEqual(['REMOTE_PROC_AUTH_LIST', 'REMOTE_PROC_AUTH_POLKIT', 'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE']);
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

  it("passes the daemon's refusal of CONNECT_OPEN through as a LibvirtError", async () => {
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
