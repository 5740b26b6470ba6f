import { describe, expect, it } from 'vitest';
import { commandEnv, CommandTransportError, describeCommandExit, SSH_ENV_PASS } from '../../../src/transport/command.js';
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
      LC_ALL: 'C',
      PATH: '/bin',
      HOME: '/h',
      USER: 'u',
      LOGNAME: 'u',
      TMPDIR: '/t',
      SSH_AUTH_SOCK: '/a',
      DISPLAY: ':0',
    });
  });
});
