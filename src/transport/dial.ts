/**
 * Dials the transport a {@link RemotePlan} names and returns the connected
 * byte stream the RPC engine runs on.
 */
import type { Duplex } from 'node:stream';
import { dialUnixAutostart, sessionDaemonPath } from './autostart.js';
import { dialExt, dialSsh } from './command.js';
import type { RemotePlan } from './remote-plan.js';
import { dialTcp } from './tcp.js';
import { dialTls } from './tls.js';
import { dialUnix, type DialOptions } from './unix.js';

/** Options of {@link dialPlan}: the dialers' `signal` and `timeout`, and what the TLS and command transports read. */
export interface DialPlanOptions extends DialOptions {
  /**
   * Environment (default `process.env`): `HOME` for the per-user TLS files
   * (`~/.pki/libvirt`), and the variables passed on to `ssh` and `+ext` commands.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** TLS: receives warnings (certificate problems ignored with `no_verify=1`, `tls_priority` items with no effect). */
  readonly onWarning?: (message: string) => void;
}

/**
 * Connects the transport of `plan`:
 * unix, tcp, tls, ssh, libssh, libssh2 (both through the `ssh` program) and
 * ext. `signal` and `timeout` bound the dial; for the command transports a
 * child started meanwhile is killed. A session socket nobody listens on gets
 * its daemon started first, as libvirt does ({@link dialUnixAutostart}).
 */
export async function dialPlan(plan: RemotePlan, options: DialPlanOptions = {}): Promise<Duplex> {
  switch (plan.transport) {
    case 'unix':
      if (plan.autostart && plan.daemonName !== null) {
        return dialUnixAutostart(plan.socketPath!, sessionDaemonPath(plan.daemonName, options.env), options);
      }
      return dialUnix(plan.socketPath!, options);
    case 'tcp':
      return dialTcp(plan.host, plan.port!, options);
    case 'tls':
      return dialTls(plan, options);
    case 'ssh':
    case 'libssh':
    case 'libssh2':
      return dialSsh(plan, options);
    case 'ext':
      return dialExt(plan, options);
  }
}
