/**
 * Finding the object a command names the way virsh does (tools/virsh-domain.c
 * virshLookupDomainBy, virsh-volume.c, virsh-pool.c, virsh-interface.c, ...):
 * a domain by ID when the text is a number, by UUID when it has a UUID's
 * length, then by name; for the other objects
 * each command says which ways of looking are allowed (by UUID, by name, by
 * key or path, by MAC), virsh tries them in order, and when none finds the
 * object it prints its own message and then the daemon's last error (nothing
 * more when no lookup was even tried).
 */
import type { Connection } from '../../api/connection.js';
import { parseUuid } from '../../api/uuid.js';
import type {
  RemoteNonnullDomain,
  RemoteNonnullInterface,
  RemoteNonnullNetwork,
  RemoteNonnullNodeDevice,
  RemoteNonnullNwfilter,
  RemoteNonnullNwfilterBinding,
  RemoteNonnullStoragePool,
  RemoteNonnullStorageVol,
} from '../../procedures/remote.gen.js';
import { virErrorNumber } from '../../procedures/libvirt-api.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type ParsedOptions } from '../command.js';
import { debugFoundOption, VSH_ERR_DEBUG, vshDebug } from './debug.js';
import { cNumber } from './numbers.js';
import { vshFail } from './failures.js';

/** One way of looking, tried only when `when` holds. */
export interface Attempt<T> {
  readonly when: boolean;
  readonly find: () => Promise<T>;
  /** virsh's debug message before it tries this way (`<domain> trying as domain NAME`), after `CMD: `. */
  readonly debug?: string;
}

/**
 * The first attempt that finds the object; otherwise a CliError with
 * `message` and the daemon's error from the last attempt made.
 */
export async function findOrFail<T>(attempts: readonly Attempt<T>[], message: string): Promise<T> {
  let last: LibvirtError | null = null;
  for (const a of attempts) {
    if (!a.when) continue;
    if (a.debug !== undefined) vshDebug(VSH_ERR_DEBUG, (cmd) => `${cmd}: ${a.debug}\n`);
    try {
      return await a.find();
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
      last = err;
    }
  }
  throw new CliError(last ? [message, last.message] : [message], { cause: last ?? undefined });
}

/** virsh tries a UUID lookup only for text of a UUID string's length (VIR_UUID_STRING_BUFLEN - 1). */
function uuidOf(text: string): Uint8Array | null {
  return text.length === 36 ? parseUuid(text) : null;
}

/**
 * The domain named by an ID, UUID or name (virshLookupDomainBy); `byId`
 * false leaves out the ID (VIRSH_BYNAME | VIRSH_BYUUID, as `start` looks).
 * virsh drops the daemon's message for domains (it resets the error).
 */
export async function lookupDomain(conn: Connection, text: string, byId = true): Promise<RemoteNonnullDomain> {
  const id = byId ? cNumber(text, 'int') : null;
  const uuid = uuidOf(text);
  debugFoundOption('domain', text);
  try {
    return await findOrFail(
      [
        { when: id !== null && id >= 0n, find: () => conn.raw.domainLookupByID(Number(id)), debug: '<domain> looks like ID' },
        // virsh tries the UUID for any text of a UUID's length (then fails to parse a non-UUID).
        { when: uuid !== null, find: () => conn.raw.domainLookupByUUID(uuid!), debug: '<domain> trying as domain UUID' },
        { when: true, find: () => conn.raw.domainLookupByName(text), debug: '<domain> trying as domain NAME' },
      ],
      `failed to get domain '${text}'`,
    );
  } catch (err) {
    if (err instanceof CliError) throw new CliError([`failed to get domain '${text}'`]);
    throw err;
  }
}

/** Which ways of looking a command allows. */
export interface ByWhat {
  readonly uuid?: boolean;
  readonly name?: boolean;
}

/** A storage pool by UUID and/or name. */
export function lookupPoolBy(conn: Connection, text: string, by: ByWhat, option = 'pool'): Promise<RemoteNonnullStoragePool> {
  const uuid = uuidOf(text);
  debugFoundOption(option, text);
  return findOrFail(
    [
      { when: Boolean(by.uuid && uuid), find: () => conn.raw.storagePoolLookupByUUID(uuid!), debug: `<${option}> trying as pool UUID` },
      { when: Boolean(by.name), find: () => conn.raw.storagePoolLookupByName(text), debug: `<${option}> trying as pool NAME` },
    ],
    `failed to get pool '${text}'`,
  );
}

/** A network by UUID and/or name. */
export function lookupNetworkBy(conn: Connection, text: string, by: ByWhat): Promise<RemoteNonnullNetwork> {
  const uuid = uuidOf(text);
  debugFoundOption('network', text);
  return findOrFail(
    [
      { when: Boolean(by.uuid && uuid), find: () => conn.raw.networkLookupByUUID(uuid!), debug: '<network> trying as network UUID' },
      { when: Boolean(by.name), find: () => conn.raw.networkLookupByName(text), debug: '<network> trying as network NAME' },
    ],
    `failed to get network '${text}'`,
  );
}

/**
 * A storage volume: by name inside `poolText`'s pool when one is given (which
 * must be active), then by key, then by path. `poolOption` is the name of the
 * command's pool option, or null when the command has none.
 */
export async function lookupVol(
  conn: Connection,
  text: string,
  poolText: string | undefined,
  poolOption: string | null = 'pool',
): Promise<RemoteNonnullStorageVol> {
  let pool: RemoteNonnullStoragePool | null = null;
  if (poolText !== undefined) {
    pool = await lookupPoolBy(conn, poolText, { uuid: true, name: true }, poolOption ?? 'pool');
    if ((await conn.raw.storagePoolIsActive(pool)) !== 1) throw new CliError([`pool '${poolText}' is not active`]);
  }
  // virsh-volume.c says this one at VSH_ERR_DEBUG, unlike the other objects' INFO.
  debugFoundOption('vol', text, VSH_ERR_DEBUG);
  return findOrFail(
    [
      { when: pool !== null, find: () => conn.raw.storageVolLookupByName(pool!, text), debug: '<vol> trying as vol name' },
      { when: true, find: () => conn.raw.storageVolLookupByKey(text), debug: '<vol> trying as vol key' },
      { when: true, find: () => conn.raw.storageVolLookupByPath(text), debug: '<vol> trying as vol path' },
    ],
    pool || poolOption === null ? `failed to get vol '${text}'` : `failed to get vol '${text}', specifying --${poolOption} might help`,
  );
}

/** The volume a command names with `<vol>` and `[--pool]` (virshCommandOptVol with "vol" and "pool"). */
export function volOf(conn: Connection, opts: ParsedOptions): Promise<RemoteNonnullStorageVol> {
  return lookupVol(conn, opts.required('vol'), opts.string('pool'));
}

/** A host interface by name and/or MAC address. */
export function lookupInterfaceBy(conn: Connection, text: string, by: { readonly name?: boolean; readonly mac?: boolean }): Promise<RemoteNonnullInterface> {
  debugFoundOption('interface', text);
  return findOrFail(
    [
      { when: Boolean(by.name), find: () => conn.raw.interfaceLookupByName(text), debug: '<interface> trying as interface NAME' },
      // A MAC lookup only for text of a MAC string's length (VIR_MAC_STRING_BUFLEN - 1).
      {
        when: Boolean(by.mac) && text.length === 17,
        find: () => conn.raw.interfaceLookupByMACString(text),
        debug: '<interface> trying as interface MAC',
      },
    ],
    `failed to get interface '${text}'`,
  );
}

/** A network filter by UUID (text of a UUID's length) then by name; virsh reports the name lookup's error. */
export function lookupNwfilter(conn: Connection, text: string): Promise<RemoteNonnullNwfilter> {
  const uuid = uuidOf(text);
  debugFoundOption('nwfilter', text);
  return findOrFail(
    [
      { when: uuid !== null, find: () => conn.raw.nwFilterLookupByUUID(uuid!), debug: '<nwfilter> trying as nwfilter UUID' },
      { when: true, find: () => conn.raw.nwFilterLookupByName(text), debug: '<nwfilter> trying as nwfilter NAME' },
    ],
    `failed to get nwfilter '${text}'`,
  );
}

/** A network filter binding by the port device it is on. */
export function lookupNwfilterBinding(conn: Connection, text: string): Promise<RemoteNonnullNwfilterBinding> {
  debugFoundOption('binding', text);
  return findOrFail(
    [{ when: true, find: () => conn.raw.nwFilterBindingLookupByPortDev(text), debug: '<binding> trying as nwfilter binding port dev' }],
    `failed to get nwfilter binding '${text}'`,
  );
}

/** A node device by name. */
export function lookupNodeDevice(conn: Connection, text: string): Promise<RemoteNonnullNodeDevice> {
  return findOrFail([{ when: true, find: () => conn.raw.nodeDeviceLookupByName(text) }], `Could not find matching device '${text}'`);
}

/**
 * The objects a `*-list` command shows, collected as virsh does: the
 * connect-list-all call, or, when the daemon does not support it, the old
 * count-and-list calls in `fallback`. Any other failure of the first call is
 * `message` and the daemon's error.
 */
export async function collectList<T>(listAll: () => Promise<T[]>, fallback: () => Promise<T[]>, message: string): Promise<T[]> {
  try {
    return await listAll();
  } catch (err) {
    if (err instanceof LibvirtError && err.errorCode === virErrorNumber.VIR_ERR_NO_SUPPORT) return await fallback();
    throw vshFail(message, err);
  }
}

/** The objects `find` finds for each key, leaving out those it cannot (virsh's fallback lists do). */
export async function lookupEach<K, T>(keys: readonly K[], find: (key: K) => Promise<T>): Promise<T[]> {
  const found: T[] = [];
  for (const key of keys) {
    try {
      found.push(await find(key));
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
    }
  }
  return found;
}
