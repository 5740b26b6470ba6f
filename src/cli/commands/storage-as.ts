/**
 * The storage commands that build their XML from options: pool-define-as and pool-create-as
 * (tools/virsh-pool.c virshBuildPoolXML) and vol-create-as (tools/virsh-volume.c
 * cmdVolCreateAs), with `--print-xml` printing that XML as virsh writes it (values are not
 * escaped: virsh formats them with plain `%s`). Also the `--build` flags and the size reader
 * the other pool and volume commands share.
 */
import type { Connection } from '../../api/connection.js';
import {
  VIR_STORAGE_POOL_CREATE_WITH_BUILD,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE,
  VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullStoragePool, RemoteNonnullStorageVol } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type CommandSpec, type OptionSpec, type ParsedOptions } from '../command.js';
import { VSH_ERR_DEBUG, vshDebug } from '../support/debug.js';
import { daemonError, vshFail } from '../support/failures.js';
import { lookupPoolBy } from '../support/lookup.js';
import { parseScaled } from '../support/numbers.js';
import { exclusive, flag, quietText, strArg, strOpt, valueOpt } from '../support/options.js';

/** pool-create, pool-start and pool-create-as's `--build` flags (VIRSH_COMMON_OPT_POOL_BUILD and the two overwrite ones). */
export const BUILD_FLAGS: readonly OptionSpec[] = [
  flag('build', 'build the pool as normal'),
  flag('no-overwrite', 'do not overwrite any existing data'),
  flag('overwrite', 'overwrite any existing data'),
];

/** The pool-create/pool-start `--build` flags (virsh's VIR_STORAGE_POOL_CREATE_WITH_BUILD*). */
export function buildFlags(opts: ParsedOptions): number {
  return (
    (opts.bool('build') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0) |
    (opts.bool('overwrite') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE : 0) |
    (opts.bool('no-overwrite') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE : 0)
  );
}

/** A size option as virsh reads it (virshVolSize), or `Malformed size TEXT` (and libvirt's reason, when it has one). */
export function volSize(text: string): bigint {
  const r = parseScaled(text);
  if ('value' in r) return r.value;
  throw new CliError(r.error ? [`Malformed size ${text}`, r.error] : [`Malformed size ${text}`]);
}

/** A pool by UUID or name (virshCommandOptPool). */
const findPool = (conn: Connection, text: string): Promise<RemoteNonnullStoragePool> => lookupPoolBy(conn, text, { uuid: true, name: true });

/**
 * VIRSH_COMMON_OPT_POOL_X_AS: the options virsh builds the pool XML from. Every string option
 * is positional as in virsh 9.0 (none has VSH_OFLAG_REQ_OPT), in this order.
 */
const POOL_AS_OPTIONS: readonly OptionSpec[] = [
  valueOpt('name', 'string', 'name of the pool', { required: true }),
  valueOpt('type', 'string', 'type of the pool', { required: true }),
  flag('print-xml', "print XML document, but don't define/create"),
  valueOpt('source-host', 'string', 'source-host for underlying storage'),
  valueOpt('source-path', 'string', 'source path for underlying storage'),
  valueOpt('source-dev', 'string', 'source device for underlying storage'),
  valueOpt('source-name', 'string', 'source name for underlying storage'),
  valueOpt('target', 'string', 'target for underlying storage'),
  valueOpt('source-format', 'string', 'format for underlying storage'),
  valueOpt('auth-type', 'string', 'auth type to be used for underlying storage'),
  valueOpt('auth-username', 'string', 'auth username to be used for underlying storage'),
  valueOpt('secret-usage', 'string', 'auth secret usage to be used for underlying storage'),
  valueOpt('secret-uuid', 'string', 'auth secret UUID to be used for underlying storage'),
  valueOpt('adapter-name', 'string', 'adapter name to be used for underlying storage'),
  valueOpt('adapter-wwnn', 'string', 'adapter wwnn to be used for underlying storage'),
  valueOpt('adapter-wwpn', 'string', 'adapter wwpn to be used for underlying storage'),
  valueOpt('adapter-parent', 'string', 'adapter parent scsi_hostN to be used for underlying vHBA storage'),
  valueOpt('adapter-parent-wwnn', 'string', 'adapter parent scsi_hostN wwnn to be used for underlying vHBA storage'),
  valueOpt('adapter-parent-wwpn', 'string', 'adapter parent scsi_hostN wwpn to be used for underlying vHBA storage'),
  valueOpt('adapter-parent-fabric-wwn', 'string', 'adapter parent scsi_hostN fabric_wwn to be used for underlying vHBA storage'),
  valueOpt('source-protocol-ver', 'string', 'nfsvers value for NFS pool mount option'),
  valueOpt('source-initiator', 'string', 'initiator iqn for underlying storage'),
];

/** The string options virshBuildPoolXML reads after name and type, in its order (each refused when empty). */
const POOL_XML_READ_ORDER = [
  'source-host',
  'source-path',
  'source-dev',
  'source-name',
  'source-format',
  'target',
  'auth-type',
  'auth-username',
  'secret-usage',
  'secret-uuid',
  'adapter-name',
  'adapter-wwnn',
  'adapter-wwpn',
  'adapter-parent',
  'adapter-parent-wwnn',
  'adapter-parent-wwpn',
  'adapter-parent-fabric-wwn',
  'source-protocol-ver',
  'source-initiator',
] as const;

/** virshBuildPoolXML: the pool's name and the XML virsh writes for pool-define-as / pool-create-as. */
function poolXml(opts: ParsedOptions): { name: string; xml: string } {
  exclusive(opts, ['secret-usage', 'secret-uuid']);
  const name = strArg(opts, 'name');
  const type = strArg(opts, 'type');
  const v: Partial<Record<(typeof POOL_XML_READ_ORDER)[number], string>> = {};
  for (const o of POOL_XML_READ_ORDER) v[o] = strOpt(opts, o);
  const lines: string[] = [`<pool type='${type}'>`, `  <name>${name}</name>`];
  const fcHost = v['adapter-wwnn'] !== undefined && v['adapter-wwpn'] !== undefined;
  const hasSource = ['source-host', 'source-path', 'source-dev', 'source-initiator', 'source-format', 'source-name', 'adapter-name'].some(
    (o) => v[o as keyof typeof v] !== undefined,
  );
  if (hasSource || fcHost) {
    const src: string[] = [];
    if (v['source-host'] !== undefined) src.push(`<host name='${v['source-host']}'/>`);
    if (v['source-path'] !== undefined) src.push(`<dir path='${v['source-path']}'/>`);
    if (v['source-dev'] !== undefined) src.push(`<device path='${v['source-dev']}'/>`);
    if (v['source-initiator'] !== undefined) src.push('<initiator>', `  <iqn name='${v['source-initiator']}'/>`, '</initiator>');
    if (fcHost) {
      // The parent named once: by scsi_hostN, else by its WWNN/WWPN pair, else by fabric WWN.
      let parent = '';
      if (v['adapter-parent'] !== undefined) parent = ` parent='${v['adapter-parent']}'`;
      else if (v['adapter-parent-wwnn'] !== undefined && v['adapter-parent-wwpn'] !== undefined)
        parent = ` parent_wwnn='${v['adapter-parent-wwnn']}' parent_wwpn='${v['adapter-parent-wwpn']}'`;
      else if (v['adapter-parent-fabric-wwn'] !== undefined) parent = ` parent_fabric_wwn='${v['adapter-parent-fabric-wwn']}'`;
      src.push(`<adapter type='fc_host'${parent} wwnn='${v['adapter-wwnn']}' wwpn='${v['adapter-wwpn']}'/>`);
    } else if (v['adapter-name'] !== undefined) {
      src.push(`<adapter type='scsi_host' name='${v['adapter-name']}'/>`);
    }
    // <auth> only with a type, a user name and a secret (by usage before UUID).
    if (v['auth-type'] !== undefined && v['auth-username'] !== undefined && (v['secret-usage'] !== undefined || v['secret-uuid'] !== undefined)) {
      const secret = v['secret-usage'] !== undefined ? `usage='${v['secret-usage']}'` : `uuid='${v['secret-uuid']}'`;
      src.push(`<auth type='${v['auth-type']}' username='${v['auth-username']}'>`, `  <secret ${secret}/>`, '</auth>');
    }
    if (v['source-format'] !== undefined) src.push(`<format type='${v['source-format']}'/>`);
    if (v['source-name'] !== undefined) src.push(`<name>${v['source-name']}</name>`);
    if (v['source-protocol-ver'] !== undefined) src.push(`<protocol ver='${v['source-protocol-ver']}'/>`);
    lines.push('  <source>', ...src.map((l) => `    ${l}`), '  </source>');
  }
  if (v.target !== undefined) lines.push('  <target>', `    <path>${v.target}</path>`, '  </target>');
  lines.push('</pool>');
  return { name, xml: `${lines.join('\n')}\n` };
}

/** pool-define-as / pool-create-as (cmdPoolDefineAs, cmdPoolCreateAs). */
function poolAsCommand(
  name: string,
  help: string,
  description: string,
  verb: string,
  done: string,
  extra: readonly OptionSpec[],
  act: (conn: Connection, xml: string, opts: ParsedOptions) => Promise<unknown>,
): CommandSpec {
  return {
    name,
    group: 'Storage Pool',
    help,
    description,
    options: [...POOL_AS_OPTIONS, ...extra],
    async run(ctx, opts) {
      exclusive(opts, ['overwrite', 'no-overwrite']);
      const { name: pool, xml } = poolXml(opts);
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      try {
        await act(ctx.conn, xml, opts);
      } catch (err) {
        throw vshFail(`Failed to ${verb} pool ${pool}`, err);
      }
      if (!ctx.quiet) ctx.print(`Pool ${pool} ${done}\n`);
    },
  };
}

/**
 * vol-create-as's `--backing-vol`: a volume of the pool by name, else any by key, else by path,
 * as cmdVolCreateAs looks it up (saying each try at VSH_ERR_DEBUG); then its path.
 */
async function backingVolPath(conn: Connection, pool: RemoteNonnullStoragePool, text: string): Promise<string> {
  const tries: readonly [string, () => Promise<RemoteNonnullStorageVol>][] = [
    ['name', () => conn.raw.storageVolLookupByName(pool, text)],
    ['key', () => conn.raw.storageVolLookupByKey(text)],
    ['path', () => conn.raw.storageVolLookupByPath(text)],
  ];
  let last: LibvirtError | null = null;
  for (const [by, find] of tries) {
    vshDebug(VSH_ERR_DEBUG, (cmd) => `${cmd}: Look up backing store volume '${text}' as ${by}\n`);
    try {
      const vol = await find();
      vshDebug(VSH_ERR_DEBUG, (cmd) => `${cmd}: Backing store volume found using '${text}' as ${by}\n`);
      try {
        return await conn.raw.storageVolGetPath(vol);
      } catch (err) {
        throw daemonError(err);
      }
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
      last = err;
    }
  }
  throw new CliError(last ? [`failed to get vol '${text}'`, last.message] : [`failed to get vol '${text}'`], { cause: last ?? undefined });
}

/** vol-create-as (cmdVolCreateAs). */
const volCreateAs: CommandSpec = {
  name: 'vol-create-as',
  group: 'Storage Volume',
  help: 'create a volume from a set of args',
  description: 'Create a vol.',
  options: [
    valueOpt('pool', 'string', 'pool name', { required: true }),
    valueOpt('name', 'string', 'name of the volume', { required: true }),
    valueOpt('capacity', 'string', 'size of the vol, as scaled integer (default bytes)', { required: true }),
    valueOpt('allocation', 'string', 'initial allocation size, as scaled integer (default bytes)'),
    valueOpt('format', 'string', 'file format type raw,bochs,qcow,qcow2,qed,vmdk'),
    valueOpt('backing-vol', 'string', 'the backing volume if taking a snapshot'),
    valueOpt('backing-vol-format', 'string', 'format of backing volume if taking a snapshot'),
    flag('prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)'),
    flag('print-xml', "print XML document, but don't define/create"),
  ],
  async run(ctx, opts) {
    const pool = await findPool(ctx.conn, strArg(opts, 'pool'));
    const name = strArg(opts, 'name');
    const capacity = volSize(strArg(opts, 'capacity'));
    // vshCommandOptStringQuiet: an empty --allocation counts as none.
    const allocText = quietText(opts, 'allocation');
    const allocation = allocText === undefined ? null : volSize(allocText);
    const format = strOpt(opts, 'format');
    const backing = strOpt(opts, 'backing-vol');
    const backingFormat = strOpt(opts, 'backing-vol-format');
    let xml = `<volume>\n  <name>${name}</name>\n  <capacity>${capacity}</capacity>\n`;
    if (allocation !== null) xml += `  <allocation>${allocation}</allocation>\n`;
    if (format !== undefined) xml += `  <target>\n    <format type='${format}'/>\n  </target>\n`;
    if (backing !== undefined) {
      xml += `  <backingStore>\n    <path>${await backingVolPath(ctx.conn, pool, backing)}</path>\n`;
      if (backingFormat !== undefined) xml += `    <format type='${backingFormat}'/>\n`;
      xml += '  </backingStore>\n';
    }
    xml += '</volume>\n';
    if (opts.bool('print-xml')) {
      ctx.print(xml);
      return;
    }
    try {
      await ctx.conn.raw.storageVolCreateXML(pool, xml, opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0);
    } catch (err) {
      throw vshFail(`Failed to create vol ${name}`, err);
    }
    if (!ctx.quiet) ctx.print(`Vol ${name} created\n`);
  },
};

/** pool-define-as, pool-create-as and vol-create-as. */
export const storageAsCommands: readonly CommandSpec[] = [
  poolAsCommand('pool-define-as', 'define a pool from a set of args', 'Define a pool.', 'define', 'defined', [], (conn, xml) =>
    conn.raw.storagePoolDefineXML(xml, 0),
  ),
  poolAsCommand('pool-create-as', 'create a pool from a set of args', 'Create a pool.', 'create', 'created', BUILD_FLAGS, (conn, xml, opts) =>
    conn.raw.storagePoolCreateXML(xml, buildFlags(opts)),
  ),
  volCreateAs,
];
