/**
 * Dials the transport a {@link RemotePlan} names and returns the connected
 * byte stream the RPC engine runs on.
 */
import type { Duplex } from 'node:stream';
import type { Credentials } from '../auth/credentials.js';
import type { RemotePlan } from './remote-plan.js';
import type { SshConnectOptions } from './ssh/dial.js';
import type { TlsMaterial } from './tls/index.js';
import type { DialOptions } from './unix.js';

/** Options of {@link dialPlan}: the dialers' `signal` and `timeout`, and what the TLS and SSH transports read. */
export interface DialPlanOptions extends DialOptions {
  /**
   * Environment (default `process.env`): `HOME` for the per-user TLS files
   * (`~/.pki/libvirt`) and SSH files, `SSH_AUTH_SOCK`, and the variables passed on to
   * `ssh` and `+ext` commands.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives warnings (TLS certificate problems ignored with `no_verify=1`, `tls_priority` items with no effect, SSH host keys recorded). */
  readonly onWarning?: (message: string) => void;
  /** In-process SSH: passwords, passphrases, keyboard-interactive answers and host key questions are asked through these. */
  readonly credentials?: Credentials;
  /** In-process SSH: keys, known hosts, agent, jump hosts given in memory. */
  readonly ssh?: SshConnectOptions;
  /** TLS: CA, certificate, key (and CRL) given in memory instead of files. */
  readonly tls?: TlsMaterial;
  /** In-process SSH: ssh2's debug lines. */
  readonly onDebug?: (line: string) => void;
}

/**
 * Connects the transport of `plan`: unix, tcp, tls, ext; ssh through the
 * `ssh` program or in process (`plan.ssh.implementation`); libssh and
 * libssh2 in process (ssh2, loaded on first use). `signal` and `timeout`
 * bound the dial; for the command transports a child started meanwhile is
 * killed. A session socket nobody listens on gets its daemon started first,
 * as libvirt does (`dialUnixAutostart`).
 *
 * Each transport's module is loaded when a plan first needs it, so that importing the package
 * does not load `node:tls`, `node:net` or `node:child_process` (about 15 ms of a process's start).
 */
export async function dialPlan(plan: RemotePlan, options: DialPlanOptions = {}): Promise<Duplex> {
  switch (plan.transport) {
    case 'unix':
      if (plan.autostart && plan.daemonName !== null) {
        const { dialUnixAutostart, sessionDaemonPath } = await import('./autostart.js');
        return dialUnixAutostart(plan.socketPath!, sessionDaemonPath(plan.daemonName, options.env), options);
      }
      return (await import('./unix.js')).dialUnix(plan.socketPath!, options);
    case 'tcp':
      return (await import('./tcp.js')).dialTcp(plan.host, plan.port!, { ...options, reuseReadBuffer: true });
    case 'tls':
      return (await import('./tls/dial.js')).dialTls(plan, options);
    case 'ssh':
    case 'libssh':
    case 'libssh2':
      if (plan.ssh?.implementation === 'program') return (await import('./command.js')).dialSsh(plan, options);
      return (await import('./ssh/dial.js')).dialInProcessSsh(plan, options);
    case 'ext':
      return (await import('./command.js')).dialExt(plan, options);
  }
}
