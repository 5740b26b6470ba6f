import { describe, expect, it } from 'vitest';
import {
  commandEnv,
  CommandTransportError,
  describeCommandExit,
  libsshArgv,
  SSH_ENV_PASS,
} from '../../../src/transport/command.js';
import { planRemoteConnection } from '../../../src/transport/remote-plan.js';
import { TransportError } from '../../../src/rpc/errors.js';

const exit = (stderr: string, exitCode: number | null = 255, signal: string | null = null) =>
  describeCommandExit({ label: 'ssh to u@h port 22', exitCode, signal, stderr, remoteSocket: '/run/libvirt/libvirt-sock' });

describe('describeCommandExit', () => {
  it.each([
    ['Host key verification failed.\r\n', 'host-key'],
    ['@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.', 'host-key'],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.', 'host-key'],
    ['u@h: Permission denied (publickey).', 'auth'],
    ['ssh: connect to host h port 22: Connection refused', 'unreachable'],
    ['ssh: Could not resolve hostname nowhere: Name or service not known', 'unreachable'],
    ['Connection to 127.0.0.1 closed by remote host.', 'disconnected'],
    ['client_loop: send disconnect: Broken pipe', 'disconnected'],
    ['nc: unix connect failed: No such file or directory', 'daemon-socket'],
    ["virt-ssh-helper: cannot connect to '/run/libvirt/libvirt-sock': Failed to connect socket", 'daemon-socket'],
    ['sh: 1: virt-ssh-helper: not found', 'command-missing'],
    ['something odd', 'other'],
  ])('%s → %s', (stderr, failure) => {
    expect(exit(stderr).failure).toBe(failure);
  });

  it('keeps stderr (trailing blanks trimmed, as libvirt does), the status and a hint', () => {
    const r = exit('u@h: Permission denied (publickey).\n\n');
    expect(r.message).toBe(
      "ssh to u@h port 22 ended (exit status 255): u@h: Permission denied (publickey). [SSH authentication failed: check the user, keyfile= and the server's authorized_keys]",
    );
    expect(exit('', null, 'SIGKILL').message).toBe('ssh to u@h port 22 ended (killed by SIGKILL)');
    expect(exit('sh: 1: nc: not found', 127).failure).toBe('command-missing');
    expect(exit('nc: unix connect failed: No such file or directory', 1).message).toContain('/run/libvirt/libvirt-sock');
  });

  it('CommandTransportError is a TransportError', () => {
    const e = new CommandTransportError('x', { command: 'ssh', exitCode: 255, signal: null, stderr: 'e', failure: 'auth' });
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe('RPC_TRANSPORT');
    expect(e.failure).toBe('auth');
  });
});

describe('commandEnv (virCommandAddEnvPassCommon)', () => {
  const source = { PATH: '/bin', HOME: '/h', USER: 'u', LOGNAME: 'u', TMPDIR: '/t', SECRET: 's', SSH_AUTH_SOCK: '/a', DISPLAY: ':0', LANG: 'fr_FR' };
  it('passes LC_ALL=C and the common variables only', () => {
    expect(commandEnv(source)).toEqual({ LC_ALL: 'C', PATH: '/bin', HOME: '/h', USER: 'u', LOGNAME: 'u', TMPDIR: '/t' });
  });
  it('passes the ssh ones for ssh', () => {
    expect(commandEnv(source, SSH_ENV_PASS)).toEqual({
      LC_ALL: 'C', PATH: '/bin', HOME: '/h', USER: 'u', LOGNAME: 'u', TMPDIR: '/t', SSH_AUTH_SOCK: '/a', DISPLAY: ':0',
    });
  });
});

describe('libsshArgv (libssh/libssh2 settings given to the ssh program)', () => {
  const env = { env: { HOME: '/home/u', XDG_CONFIG_HOME: '/home/u/.config' }, uid: 1000, exists: () => false };

  it('defaults: port 22, user root, the user config known_hosts, strict checking, batch mode', () => {
    const plan = planRemoteConnection('qemu+libssh://h/system', env);
    const argv = libsshArgv(plan);
    expect(argv.slice(0, -1)).toEqual([
      'ssh', '-p', '22', '-l', 'root', '-T', '-e', 'none', '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/home/u/.config/libvirt/known_hosts',
      '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'PreferredAuthentications=publickey,password,keyboard-interactive',
      '--', 'h',
    ]);
    expect(argv.at(-1)).toBe(plan.ssh!.remoteCommand);
  });

  it('maps keyfile, known_hosts, known_hosts_verify and sshauth', () => {
    const plan = planRemoteConnection(
      'qemu+libssh2://me@h:2200/system?keyfile=/k&known_hosts=/kh&known_hosts_verify=auto&sshauth=privkey',
      env,
    );
    expect(libsshArgv(plan).slice(0, -3)).toEqual([
      'ssh', '-p', '2200', '-l', 'me', '-i', '/k', '-T', '-e', 'none', '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=accept-new', '-o', 'UserKnownHostsFile=/kh',
      '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'PreferredAuthentications=publickey', '-o', 'IdentityAgent=none',
    ]);
    const ignore = planRemoteConnection('qemu+libssh://h/system?known_hosts_verify=ignore', env);
    const a = libsshArgv(ignore);
    expect(a).toContain('StrictHostKeyChecking=no');
    expect(a).toContain('UserKnownHostsFile=/dev/null');
  });

  it('refuses other transports', () => {
    expect(() => libsshArgv(planRemoteConnection('qemu+ssh://h/system', env))).toThrow(TypeError);
  });
});
