/**
 * What a host offers for storage pools, with virsh's output
 * (tools/virsh-pool.c): find-storage-pool-sources, find-storage-pool-sources-as
 * and pool-capabilities.
 */
import { CliError, type CommandSpec, type ParsedOptions } from '../command.js';
import { call } from '../support/failures.js';
import { strArg, strOpt, valueOpt } from '../support/options.js';

const GROUP = 'Storage Pool';

/**
 * The `<source>` document find-storage-pool-sources-as sends, as
 * cmdPoolDiscoverSourcesAs builds it: the values go in as given, unescaped.
 */
function sourceSpec(host: string, port: string | undefined, initiator: string | undefined): string {
  let xml = `<source>\n  <host name='${host}'${port !== undefined ? ` port='${port}'` : ''}/>\n`;
  if (initiator !== undefined) xml += `  <initiator>\n    <iqn name='${initiator}'/>\n  </initiator>\n`;
  return `${xml}</source>\n`;
}

/** --port, read as virsh reads it once --host is given. */
function portOf(opts: ParsedOptions): string | undefined {
  try {
    return strOpt(opts, 'port');
  } catch (err) {
    if (err instanceof CliError) throw new CliError([...err.lines, 'missing argument']);
    throw err;
  }
}

/** The pool discovery commands and pool-capabilities. */
export const poolDiscoveryCommands: readonly CommandSpec[] = [
  {
    name: 'find-storage-pool-sources-as',
    group: GROUP,
    help: 'find potential storage pool sources',
    description: 'Returns XML <sources> document.',
    options: [
      valueOpt('type', 'string', 'type of storage pool sources to find', { required: true }),
      valueOpt('host', 'string', 'optional host to query'),
      valueOpt('port', 'string', 'optional port to query'),
      valueOpt('initiator', 'string', 'optional initiator IQN to use for query'),
    ],
    async run(ctx, opts) {
      const type = strArg(opts, 'type');
      const host = strOpt(opts, 'host');
      const initiator = strOpt(opts, 'initiator');
      // --port counts only with --host (virsh reads it there, and says "missing argument" after an empty one).
      const spec = host === undefined ? null : sourceSpec(host, portOf(opts), initiator);
      const list = await call(() => ctx.conn.raw.connectFindStoragePoolSources(type, spec, 0), `Failed to find any ${type} pool sources`);
      ctx.print(list);
    },
  },
  {
    name: 'find-storage-pool-sources',
    group: GROUP,
    help: 'discover potential storage pool sources',
    description: 'Returns XML <sources> document.',
    options: [
      valueOpt('type', 'string', 'type of storage pool sources to discover', { required: true }),
      valueOpt('srcSpec', 'string', 'optional file of source xml to query for pools'),
    ],
    async run(ctx, opts) {
      const type = strArg(opts, 'type');
      const file = strOpt(opts, 'srcSpec');
      const spec = file === undefined ? null : await ctx.readFile(file);
      const list = await call(() => ctx.conn.raw.connectFindStoragePoolSources(type, spec, 0), `Failed to find any ${type} pool sources`);
      ctx.print(list);
    },
  },
  {
    name: 'pool-capabilities',
    group: GROUP,
    help: 'storage pool capabilities',
    description: 'Returns capabilities of storage pool support.',
    options: [],
    async run(ctx) {
      const caps = await call(() => ctx.conn.raw.connectGetStoragePoolCapabilities(0), 'failed to get storage pool capabilities');
      ctx.print(`${caps}\n`);
    },
  },
];
