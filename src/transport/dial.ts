/**
 * Dials the transport a {@link RemotePlan} names and returns the connected
 * byte stream the RPC engine runs on.
 */
import type { Duplex } from 'node:stream';
import { UnsupportedError } from '../rpc/errors.js';
import type { RemotePlan } from './remote-plan.js';
import { dialTcp } from './tcp.js';
import { dialUnix, type DialOptions } from './unix.js';

/** Connects the transport of `plan` (`uriText` is quoted in errors). */
export async function dialPlan(plan: RemotePlan, uriText: string, options: DialOptions = {}): Promise<Duplex> {
  switch (plan.transport) {
    case 'unix':
      return dialUnix(plan.socketPath!, options);
    case 'tcp':
      return dialTcp(plan.host, plan.port!, options);
    default:
      throw new UnsupportedError(
        `the ${plan.transport} transport of URI "${uriText}" is not supported yet (unix and tcp are)`,
      );
  }
}
