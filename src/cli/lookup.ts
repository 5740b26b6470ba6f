/**
 * Finding the object a command names, the way virsh does
 * (tools/virsh-domain.c virshLookupDomainBy and friends): a domain by ID when
 * the text is a number, by UUID when it is one, then by name.
 */
import type { Connection } from '../api/connection.js';
import type { RemoteNonnullDomain, RemoteNonnullNetwork, RemoteNonnullStoragePool } from '../procedures/remote.gen.js';
import { LibvirtError } from '../rpc/errors.js';
import { CliError, type ParsedOptions } from './command.js';
import { parseUuid } from './format.js';

/** The first lookup that succeeds, or the daemon's error from the last one. */
async function firstFound<T>(attempts: (() => Promise<T>)[]): Promise<T | LibvirtError> {
  let last: LibvirtError | null = null;
  for (const attempt of attempts) {
    try {
      return await attempt();
    } catch (err) {
      // A daemon error moves on to the next way of looking; anything else (connection lost) is fatal.
      if (!(err instanceof LibvirtError)) throw err;
      last = err;
    }
  }
  return last!;
}

/** The domain named by an ID, UUID or name. */
export async function lookupDomain(conn: Connection, text: string): Promise<RemoteNonnullDomain> {
  const attempts: (() => Promise<RemoteNonnullDomain>)[] = [];
  if (/^\d+$/.test(text) && Number(text) <= 0x7fffffff) attempts.push(() => conn.raw.domainLookupByID(Number(text)));
  const uuid = parseUuid(text);
  if (uuid) attempts.push(() => conn.raw.domainLookupByUUID(uuid));
  attempts.push(() => conn.raw.domainLookupByName(text));
  const dom = await firstFound(attempts);
  // virsh drops the daemon's message for domains (virshLookupDomainBy resets the error).
  if (dom instanceof LibvirtError) throw new CliError([`failed to get domain '${text}'`]);
  return dom;
}

/** The network named by a UUID or name. */
export async function lookupNetwork(conn: Connection, text: string): Promise<RemoteNonnullNetwork> {
  const uuid = parseUuid(text);
  const attempts: (() => Promise<RemoteNonnullNetwork>)[] = [];
  if (uuid) attempts.push(() => conn.raw.networkLookupByUUID(uuid));
  attempts.push(() => conn.raw.networkLookupByName(text));
  const net = await firstFound(attempts);
  if (net instanceof LibvirtError) throw new CliError([`failed to get network '${text}'`, net.message], { cause: net });
  return net;
}

/** The storage pool named by a UUID or name. */
export async function lookupPool(conn: Connection, text: string): Promise<RemoteNonnullStoragePool> {
  const uuid = parseUuid(text);
  const attempts: (() => Promise<RemoteNonnullStoragePool>)[] = [];
  if (uuid) attempts.push(() => conn.raw.storagePoolLookupByUUID(uuid));
  attempts.push(() => conn.raw.storagePoolLookupByName(text));
  const pool = await firstFound(attempts);
  if (pool instanceof LibvirtError) throw new CliError([`failed to get pool '${text}'`, pool.message], { cause: pool });
  return pool;
}

/** virsh's check that two options are not given together (VSH_EXCLUSIVE_OPTIONS), pair by pair in order. */
export function exclusive(opts: ParsedOptions, ...pairs: readonly (readonly [string, string])[]): void {
  for (const [a, b] of pairs) {
    if (opts.bool(a) && opts.bool(b)) throw new CliError([`Options --${a} and --${b} are mutually exclusive`]);
  }
}
