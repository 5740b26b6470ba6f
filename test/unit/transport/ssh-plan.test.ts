import { describe, expect, it } from 'vitest';
import { planRemoteConnection } from '../../../src/transport/remote-plan.js';
import { findProgram } from '../../../src/transport/ssh-plan.js';
import { UriError } from '../../../src/transport/errors.js';

const home = { env: { HOME: '/home/u', XDG_CONFIG_HOME: '/home/u/.config', PATH: '/usr/bin:/bin' }, uid: 1000 };
const withSsh = { ...home, exists: (p: string) => p === '/usr/bin/ssh' };
const withoutSsh = { ...home, exists: () => false };

describe("SSH planning: libssh / libssh2 (libvirt's defaults, always in process)", () => {
  it('defaults: user root, port 22, the user config known_hosts, normal verification, no key', () => {
    const plan = planRemoteConnection('qemu+libssh2://h/system', withSsh);
    expect(plan.ssh).toMatchObject({
      client: 'libssh2',
      implementation: 'in-process',
      username: 'root',
      keyfile: null,
      argv: null,
      knownHosts: '/home/u/.config/libvirt/known_hosts',
      knownHostsVerify: 'normal',
      authMethods: ['agent', 'password', 'keyboard-interactive'],
      uriPassword: false,
    });
    expect(plan.port).toBe(22);
  });

  it('the first default key that exists, and then privkey in the default methods', () => {
    const exists = (p: string) => p === '/home/u/.ssh/id_ed25519' || p === '/home/u/.ssh/id_rsa';
    const plan = planRemoteConnection('qemu+libssh://h/system', { ...home, exists });
    expect(plan.ssh?.keyfile).toBe('/home/u/.ssh/id_ed25519');
    expect(plan.ssh?.authMethods).toEqual(['agent', 'privkey', 'password', 'keyboard-interactive']);
  });

  it('a key given in memory also puts privkey in the default methods', () => {
    const plan = planRemoteConnection('qemu+libssh2://h/system', { ...withoutSsh, sshPrivateKey: true });
    expect(plan.ssh?.authMethods).toEqual(['agent', 'privkey', 'password', 'keyboard-interactive']);
  });

  it('takes keyfile=, known_hosts=, known_hosts_verify= (any case) and sshauth=', () => {
    const plan = planRemoteConnection(
      'qemu+libssh2://me@h:2200/system?keyfile=/k&known_hosts=/kh&known_hosts_verify=AUTO&sshauth=Password,privkey',
      withoutSsh,
    );
    expect(plan.ssh).toMatchObject({ username: 'me', keyfile: '/k', knownHosts: '/kh', knownHostsVerify: 'auto', authMethods: ['password', 'privkey'] });
  });

  it('refuses unknown sshauth= and known_hosts_verify= values', () => {
    expect(() => planRemoteConnection('qemu+libssh2://h/system?sshauth=agent,magic', withoutSsh)).toThrow(/unknown method "magic"/);
    expect(() => planRemoteConnection('qemu+libssh://h/system?known_hosts_verify=maybe', withoutSsh)).toThrow(UriError);
  });
});

describe('SSH planning: which client carries +ssh', () => {
  it('the ssh program when it is on PATH, the in-process client when not', () => {
    expect(planRemoteConnection('qemu+ssh://h/system', withSsh).ssh?.implementation).toBe('program');
    expect(planRemoteConnection('qemu+ssh://h/system', withoutSsh).ssh?.implementation).toBe('in-process');
  });

  it('command= always means the program (the one named)', () => {
    expect(planRemoteConnection('qemu+ssh://h/system?command=/opt/ssh', withoutSsh).ssh?.implementation).toBe('program');
  });

  it('sshClient chooses explicitly', () => {
    expect(planRemoteConnection('qemu+ssh://h/system', { ...withSsh, sshClient: 'in-process' }).ssh?.implementation).toBe('in-process');
    expect(planRemoteConnection('qemu+ssh://h/system', { ...withoutSsh, sshClient: 'program' }).ssh?.implementation).toBe('program');
  });

  it("keeps libvirt's argv either way (what the program would run)", () => {
    const plan = planRemoteConnection('qemu+ssh://me@h:2222/system?keyfile=/k', withoutSsh);
    expect(plan.ssh?.argv?.slice(0, -1)).toEqual(['ssh', '-p', '2222', '-l', 'me', '-i', '/k', '-T', '-e', 'none', '--', 'h']);
  });
});

describe('SSH planning: a password in the URI', () => {
  it('is kept out of the plan and the argv, and noted for the in-process client', () => {
    const plan = planRemoteConnection('qemu+libssh2://alice:s3cr%40t@h/system', withoutSsh);
    expect(plan.user).toBe('alice');
    expect(plan.ssh).toMatchObject({ username: 'alice', uriPassword: true });
    expect(plan.uri?.user).toBe('alice:***');
    expect(JSON.stringify(plan)).not.toContain('s3cr');
  });

  it('is refused when the ssh program would get it', () => {
    const err = (() => {
      try {
        planRemoteConnection('qemu+ssh://alice:s3cret@h/system', withSsh);
      } catch (e) {
        return e as UriError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(UriError);
    expect(err!.part).toBe('user');
    expect(err!.message).toMatch(/cannot be given to the ssh program/);
    expect(err!.message).not.toContain('s3cret');
    expect(err!.uri).toBe('qemu+ssh://alice:***@h/system');
  });

  it('is used by +ssh in process', () => {
    const plan = planRemoteConnection('qemu+ssh://alice:s3cret@h/system', withoutSsh);
    expect(plan.ssh).toMatchObject({ implementation: 'in-process', username: 'alice', uriPassword: true });
    expect(plan.ssh?.argv).not.toContain('alice:s3cret');
  });
});

describe('findProgram', () => {
  it('searches PATH, or checks a path', () => {
    const exists = (p: string) => p === '/b/ssh';
    expect(findProgram('ssh', '/a:/b', exists)).toBe('/b/ssh');
    expect(findProgram('ssh', '/a', exists)).toBeNull();
    expect(findProgram('/b/ssh', '', exists)).toBe('/b/ssh');
    expect(findProgram('ssh', undefined, exists)).toBeNull();
  });
});
