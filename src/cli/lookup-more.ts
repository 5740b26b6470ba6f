/**
 * Finding volumes, interfaces, node devices and the other objects the way
 * virsh does (tools/virsh-volume.c, virsh-pool.c, virsh-interface.c, ...):
 * each command says which ways of looking are allowed (by UUID, by name, by
 * key or path, by MAC), virsh tries them in order, and when none finds the
 * object it prints its own message and then the daemon's last error (nothing
 * more when no lookup was even tried).
 */
import type { Connection } from '../api/connection.js';
import type {
  RemoteNonnullInterface,
  RemoteNonnullNetwork,
  RemoteNonnullNodeDevice,
  RemoteNonnullStoragePool,
  RemoteNonnullStorageVol,
} from '../procedures/remote.gen.js';
import { LibvirtError } from '../rpc/errors.js';
import { CliError, failed, type CommandSpec, type OptionSpec, type ParsedOptions } from './command.js';
import { parseUuid } from './format.js';

/** One way of looking, tried only when `when` holds. */
export interface Attempt<T> {
  readonly when: boolean;
  readonly find: () => Promise<T>;
}

/**
 * The first attempt that finds the object; otherwise a CliError with
 * `message` and the daemon's error from the last attempt made.
 */
export async function findOrFail<T>(attempts: readonly Attempt<T>[], message: string): Promise<T> {
  let last: LibvirtError | null = null;
  for (const a of attempts) {
    if (!a.when) continue;
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

/** Which ways of looking a command allows. */
export interface ByWhat {
  readonly uuid?: boolean;
  readonly name?: boolean;
}

/** A storage pool by UUID and/or name. */
export function lookupPoolBy(conn: Connection, text: string, by: ByWhat): Promise<RemoteNonnullStoragePool> {
  const uuid = uuidOf(text);
  return findOrFail(
    [
      { when: Boolean(by.uuid && uuid), find: () => conn.raw.storagePoolLookupByUUID(uuid!) },
      { when: Boolean(by.name), find: () => conn.raw.storagePoolLookupByName(text) },
    ],
    `failed to get pool '${text}'`,
  );
}

/** A network by UUID and/or name. */
export function lookupNetworkBy(conn: Connection, text: string, by: ByWhat): Promise<RemoteNonnullNetwork> {
  const uuid = uuidOf(text);
  return findOrFail(
    [
      { when: Boolean(by.uuid && uuid), find: () => conn.raw.networkLookupByUUID(uuid!) },
      { when: Boolean(by.name), find: () => conn.raw.networkLookupByName(text) },
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
    pool = await lookupPoolBy(conn, poolText, { uuid: true, name: true });
    if ((await conn.raw.storagePoolIsActive(pool)) !== 1) throw new CliError([`pool '${poolText}' is not active`]);
  }
  return findOrFail(
    [
      { when: pool !== null, find: () => conn.raw.storageVolLookupByName(pool!, text) },
      { when: true, find: () => conn.raw.storageVolLookupByKey(text) },
      { when: true, find: () => conn.raw.storageVolLookupByPath(text) },
    ],
    pool || poolOption === null ? `failed to get vol '${text}'` : `failed to get vol '${text}', specifying --${poolOption} might help`,
  );
}

/** A host interface by name and/or MAC address. */
export function lookupInterfaceBy(
  conn: Connection,
  text: string,
  by: { readonly name?: boolean; readonly mac?: boolean },
): Promise<RemoteNonnullInterface> {
  return findOrFail(
    [
      { when: Boolean(by.name), find: () => conn.raw.interfaceLookupByName(text) },
      // A MAC lookup only for text of a MAC string's length (VIR_MAC_STRING_BUFLEN - 1).
      { when: Boolean(by.mac) && text.length === 17, find: () => conn.raw.interfaceLookupByMACString(text) },
    ],
    `failed to get interface '${text}'`,
  );
}

/** A node device by name. */
export function lookupNodeDevice(conn: Connection, text: string): Promise<RemoteNonnullNodeDevice> {
  return findOrFail([{ when: true, find: () => conn.raw.nodeDeviceLookupByName(text) }], `Could not find matching device '${text}'`);
}

/**
 * A command that looks up one object and acts on it, as virsh's
 * start/destroy/undefine/refresh/... commands do: on success `Noun TEXT done`
 * (left out with -q), on failure `Failed to VERB noun TEXT` and the daemon's
 * error. TEXT is the object as the user named it.
 */
export function oneObjectCommand<T>(spec: {
  readonly name: string;
  readonly group: string;
  readonly help: string;
  /** The object's option (`pool`, `network`). */
  readonly option: OptionSpec;
  /** Further options (flags of the action). */
  readonly extra?: readonly OptionSpec[];
  /** Checks of the options made before anything else (mutually exclusive flags). */
  readonly check?: (opts: ParsedOptions) => void;
  /** Finds the object named by the option's text (`opts` for lookups that take another option, like a volume's `--pool`). */
  readonly lookup: (conn: Connection, text: string, opts: ParsedOptions) => Promise<T>;
  /** `Pool`, `Network`, `Vol`: the start of the success message; lowercased in the failure message. */
  readonly noun: string;
  /** `start` → "Failed to start pool X". */
  readonly verb: string;
  /** `started` → "Pool X started". */
  readonly done: string;
  readonly act: (conn: Connection, obj: T, opts: ParsedOptions) => Promise<unknown>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: spec.help,
    options: [spec.option, ...(spec.extra ?? [])],
    async run(ctx, opts) {
      spec.check?.(opts);
      const text = opts.required(spec.option.name);
      const obj = await spec.lookup(ctx.conn, text, opts);
      try {
        await spec.act(ctx.conn, obj, opts);
      } catch (err) {
        throw failed(`Failed to ${spec.verb} ${spec.noun.toLowerCase()} ${text}`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${text} ${spec.done}\n`);
    },
  };
}

/** `autostart`-style command: `--disable` turns it off; messages as virsh's pool/net-autostart. */
export function autostartCommand<T>(spec: {
  readonly name: string;
  readonly group: string;
  readonly option: OptionSpec;
  readonly lookup: (conn: Connection, text: string) => Promise<T>;
  readonly noun: string;
  readonly set: (conn: Connection, obj: T, on: number) => Promise<void>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: `autostart a ${spec.noun.toLowerCase()}`,
    options: [spec.option, { name: 'disable', kind: 'bool', help: 'disable autostarting' }],
    async run(ctx, opts) {
      const text = opts.required(spec.option.name);
      const obj = await spec.lookup(ctx.conn, text);
      const on = !opts.bool('disable');
      const mark = on ? 'mark' : 'unmark';
      try {
        await spec.set(ctx.conn, obj, on ? 1 : 0);
      } catch (err) {
        throw failed(`failed to ${mark} ${spec.noun.toLowerCase()} ${text} as autostarted`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${text} ${mark}ed as autostarted\n`);
    },
  };
}

/** `define`/`create` from an XML file: "Noun NAME defined from FILE", or "Failed to define noun from FILE". */
export function fromFileCommand(spec: {
  readonly name: string;
  readonly group: string;
  readonly help: string;
  readonly extra?: readonly OptionSpec[];
  /** Checks of the options made before the file is read. */
  readonly check?: (opts: ParsedOptions) => void;
  readonly noun: string;
  readonly verb: string;
  readonly done: string;
  readonly act: (conn: Connection, xml: string, opts: ParsedOptions) => Promise<{ readonly name: string }>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: spec.help,
    options: [{ name: 'file', kind: 'string', positional: true, required: true, help: `file containing an XML ${spec.noun.toLowerCase()} description` }, ...(spec.extra ?? [])],
    async run(ctx, opts) {
      spec.check?.(opts);
      const file = opts.required('file');
      const xml = await ctx.readFile(file);
      let obj: Awaited<ReturnType<typeof spec.act>>;
      try {
        obj = await spec.act(ctx.conn, xml, opts);
      } catch (err) {
        throw failed(`Failed to ${spec.verb} ${spec.noun.toLowerCase()} from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${obj.name} ${spec.done} from ${file}\n`);
    },
  };
}
