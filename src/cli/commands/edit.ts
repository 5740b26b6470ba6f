/**
 * `edit` and the other `*-edit` commands of virsh 9.0.0: each fetches its
 * object's XML with virsh's flags, runs the editing loop (../edit-loop.ts)
 * and defines the result with virsh's call, printing virsh's lines
 * (tools/virsh-domain.c cmdEdit, cmdSaveImageEdit, cmdManagedSaveEdit;
 * virsh-network.c, virsh-pool.c, virsh-interface.c, virsh-nwfilter.c,
 * virsh-snapshot.c, virsh-checkpoint.c).
 */
import type { Connection } from '../../api/connection.js';
import {
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE,
  VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_CHECKPOINT_XML_SECURE,
  VIR_DOMAIN_DEFINE_VALIDATE,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_DOMAIN_SAVE_PAUSED,
  VIR_DOMAIN_SAVE_RUNNING,
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
  VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  VIR_INTERFACE_XML_INACTIVE,
  VIR_NETWORK_XML_INACTIVE,
  VIR_STORAGE_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { daemonError, call, isLibvirtError } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, exclusive } from '../support/options.js';
import { printExtra } from '../support/format.js';
import { editLoop, type EditTarget } from '../support/edit-loop.js';
import { lookupDomain, lookupPoolBy, lookupNetworkBy, lookupInterfaceBy, lookupNwfilter } from '../support/lookup.js';

/**
 * Runs the loop; resolves with what the define returned, null when virsh
 * carried on without a define (it then names the object `(null)`), or
 * undefined when the XML was not changed.
 */
async function edit<T>(ctx: CommandContext, target: EditTarget<T>): Promise<T | null | undefined> {
  const r = await editLoop(ctx, target);
  return r.unchanged ? undefined : r.defined;
}

/** `--running` / `--paused` of the save-image commands, refused together before anything runs. */
function saveFlags(opts: ParsedOptions): number {
  exclusive(opts, ['running', 'paused']);
  return (opts.bool('running') ? VIR_DOMAIN_SAVE_RUNNING : 0) | (opts.bool('paused') ? VIR_DOMAIN_SAVE_PAUSED : 0);
}

/** virshDomainDefine: with flags, and without them when the daemon knows only VALIDATE's absence. */
async function defineDomain(conn: Connection, xml: string, flags: number): Promise<RemoteNonnullDomain> {
  if (!flags) return await conn.raw.domainDefineXML(xml);
  try {
    return await conn.raw.domainDefineXMLFlags(xml, flags);
  } catch (err) {
    if (isLibvirtError(err, 'VIR_ERR_NO_SUPPORT') && flags === VIR_DOMAIN_DEFINE_VALIDATE) return await conn.raw.domainDefineXML(xml);
    throw err;
  }
}

/** Runs `body`; a failure gets virsh's last line for snapshot and checkpoint edits, "Failed to update NAME". */
async function failingUpdate(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const lines = daemonError(err).lines;
    throw new CliError([...lines, `Failed to update ${name}`], { cause: err });
  }
}

/** Deletes the metadata of a snapshot or checkpoint a rename left behind; on failure the daemon's error and "Failed to clean up NAME". */
async function cleanUp(remove: () => Promise<void>, name: string): Promise<void> {
  try {
    await remove();
  } catch (err) {
    throw new CliError([daemonError(err).lines[0], `Failed to clean up ${name}`], { cause: err });
  }
}

/**
 * `metadata --edit` (tools/virsh-domain.c cmdMetadata): the element under
 * namespace `uri` through the editing loop (a newline when the domain has
 * none), set with `key` as its prefix. "Metadata not changed" (with no
 * newline: virsh leaves it to its closing one) or "Metadata modified".
 */
export async function editMetadata(ctx: CommandContext, dom: RemoteNonnullDomain, uri: string | null, key: string, flags: number): Promise<void> {
  const edited = await edit(ctx, {
    getXml: async () => {
      try {
        return await ctx.conn.raw.domainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags);
      } catch (err) {
        if (!(err instanceof LibvirtError)) throw err;
        return '\n';
      }
    },
    define: async (xml) => {
      await ctx.conn.raw.domainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, key, uri, flags);
      return true;
    },
    notChanged: 'Metadata not changed',
  });
  if (edited !== undefined) printExtra(ctx, 'Metadata modified\n');
}

/** The commands of this module. */
export const editCommands: readonly CommandSpec[] = [
  {
    name: 'edit',
    group: 'Domain Management',
    help: 'edit XML configuration for a domain',
    description: 'Edit the XML configuration for a domain.',
    options: [DOMAIN, flag('skip-validate', 'skip validation of the XML against the schema')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      let defineFlags = opts.bool('skip-validate') ? 0 : VIR_DOMAIN_DEFINE_VALIDATE;
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.domainGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE)),
        define: (xml) => defineDomain(ctx.conn, xml, defineFlags),
        notChanged: `Domain '${dom.name}' XML configuration not changed.\n`,
        relax: () => {
          defineFlags &= ~VIR_DOMAIN_DEFINE_VALIDATE;
        },
      });
      if (edited !== undefined) printExtra(ctx, `Domain '${edited?.name ?? '(null)'}' XML configuration edited.\n`);
    },
  },
  {
    name: 'managedsave-edit',
    group: 'Domain Management',
    help: "edit XML for a domain's managed save state file",
    description: 'Edit the domain XML associated with the managed save state file',
    options: [DOMAIN, flag('running', 'set domain to be running on start'), flag('paused', 'set domain to be paused on start')],
    async run(ctx, opts) {
      const flags = (opts.bool('running') ? VIR_DOMAIN_SAVE_RUNNING : 0) | (opts.bool('paused') ? VIR_DOMAIN_SAVE_PAUSED : 0);
      exclusive(opts, ['running', 'paused']);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.domainManagedSaveGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE)),
        define: async (xml) => {
          await ctx.conn.raw.domainManagedSaveDefineXML(dom, xml, flags);
          return true;
        },
        notChanged: `Managed save image of domain '${dom.name}' XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `Managed save image of Domain '${dom.name}' XML configuration edited.\n`);
    },
  },
  {
    name: 'save-image-edit',
    group: 'Domain Management',
    help: "edit XML for a domain's saved state file",
    description: 'Edit the domain XML associated with a saved state file',
    options: [
      valueOpt('file', 'string', 'saved state file to edit', { required: true }),
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
    ],
    async run(ctx, opts) {
      const flags = saveFlags(opts);
      const file = opts.required('file');
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.domainSaveImageGetXMLDesc(file, VIR_DOMAIN_XML_SECURE)),
        define: async (xml) => {
          await ctx.conn.raw.domainSaveImageDefineXML(file, xml, flags);
          return true;
        },
        notChanged: `Saved image ${file} XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `State file ${file} edited.\n`);
    },
  },
  {
    name: 'net-edit',
    group: 'Networking',
    help: 'edit XML configuration for a network',
    description: 'Edit the XML configuration for a network.',
    options: [valueOpt('network', 'string', 'network name or uuid', { required: true })],
    async run(ctx, opts) {
      const net = await lookupNetworkBy(ctx.conn, opts.required('network'), { uuid: true, name: true });
      // Old daemons refuse VIR_NETWORK_XML_INACTIVE: virsh asks again without it.
      const getXml = async (): Promise<string> => {
        try {
          return await ctx.conn.raw.networkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE);
        } catch (err) {
          if (!isLibvirtError(err, 'VIR_ERR_INVALID_ARG')) throw daemonError(err);
          return await call(() => ctx.conn.raw.networkGetXMLDesc(net, 0));
        }
      };
      const edited = await edit(ctx, {
        getXml,
        define: (xml) => ctx.conn.raw.networkDefineXML(xml),
        notChanged: `Network ${net.name} XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `Network ${edited?.name ?? '(null)'} XML configuration edited.\n`);
    },
  },
  {
    name: 'pool-edit',
    group: 'Storage Pool',
    help: 'edit XML configuration for a storage pool',
    description: 'Edit the XML configuration for a storage pool.',
    options: [valueOpt('pool', 'string', 'pool name or uuid', { required: true })],
    async run(ctx, opts) {
      const pool = await lookupPoolBy(ctx.conn, opts.required('pool'), { uuid: true, name: true });
      // Some old daemons refuse VIR_STORAGE_XML_INACTIVE: virsh tries once and drops it then.
      let flags = VIR_STORAGE_XML_INACTIVE;
      try {
        await ctx.conn.raw.storagePoolGetXMLDesc(pool, flags);
      } catch (err) {
        if (!isLibvirtError(err, 'VIR_ERR_INVALID_ARG')) throw daemonError(err);
        flags = 0;
      }
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.storagePoolGetXMLDesc(pool, flags)),
        define: (xml) => ctx.conn.raw.storagePoolDefineXML(xml, 0),
        notChanged: `Pool ${pool.name} XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `Pool ${edited?.name ?? '(null)'} XML configuration edited.\n`);
    },
  },
  {
    name: 'iface-edit',
    group: 'Interface',
    help: 'edit XML configuration for a physical host interface',
    description: 'Edit the XML configuration for a physical host interface.',
    options: [valueOpt('interface', 'string', 'interface name or MAC address', { required: true })],
    async run(ctx, opts) {
      const iface = await lookupInterfaceBy(ctx.conn, opts.required('interface'), { name: true, mac: true });
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.interfaceGetXMLDesc(iface, VIR_INTERFACE_XML_INACTIVE)),
        define: (xml) => ctx.conn.raw.interfaceDefineXML(xml, 0),
        notChanged: `Interface ${iface.name} XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `Interface ${edited?.name ?? '(null)'} XML configuration edited.\n`);
    },
  },
  {
    name: 'nwfilter-edit',
    group: 'Network Filter',
    help: 'edit XML configuration for a network filter',
    description: 'Edit the XML configuration for a network filter.',
    options: [valueOpt('nwfilter', 'string', 'network filter name or uuid', { required: true })],
    async run(ctx, opts) {
      const filter = await lookupNwfilter(ctx.conn, opts.required('nwfilter'));
      const edited = await edit(ctx, {
        getXml: () => call(() => ctx.conn.raw.nwFilterGetXMLDesc(filter, 0)),
        define: (xml) => ctx.conn.raw.nwFilterDefineXML(xml),
        notChanged: `Network filter ${filter.name} XML configuration not changed.\n`,
      });
      if (edited !== undefined) printExtra(ctx, `Network filter ${edited?.name ?? '(null)'} XML configuration edited.\n`);
    },
  },
  {
    name: 'snapshot-edit',
    group: 'Snapshot',
    help: 'edit XML for a snapshot',
    description: 'Edit the domain snapshot XML for a named snapshot',
    options: [
      DOMAIN,
      { name: 'snapshotname', kind: 'string', positional: true, help: 'snapshot name' },
      flag('current', 'also set edited snapshot as current'),
      flag('rename', 'allow renaming an existing snapshot'),
      flag('clone', 'allow cloning to new name'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['rename', 'clone']);
      const given = opts.string('snapshotname');
      let defineFlags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
      // --current with a name also makes the edited snapshot current (and an unchanged file is defined anyway).
      if (opts.bool('current') && given !== undefined) defineFlags |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      if (given === undefined && !opts.bool('current')) throw new CliError(['--snapshotname or --current is required']);
      const snap = await call(() =>
        given !== undefined ? ctx.conn.raw.domainSnapshotLookupByName(dom, given, 0) : ctx.conn.raw.domainSnapshotCurrent(dom, 0),
      );
      const name = snap.name;
      let original = '';
      // virsh adds "Failed to update NAME" to every failure once the snapshot is found.
      await failingUpdate(name, async () => {
        const edited = await edit(ctx, {
          getXml: async () => (original = await call(() => ctx.conn.raw.domainSnapshotGetXMLDesc(snap, VIR_DOMAIN_XML_SECURE))),
          define: (xml) => {
            // A disk-only snapshot is redefined as one (virsh looks at the XML it fetched).
            if (original.includes('<state>disk-snapshot</state>')) defineFlags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
            return ctx.conn.raw.domainSnapshotCreateXML(dom, xml, defineFlags);
          },
          notChanged: defineFlags & VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT ? null : `Snapshot ${name} XML configuration not changed.\n`,
        });
        if (edited === undefined) return;
        // Without a terminal to ask on, virsh 9.0.0 goes on with no snapshot and crashes; tsvirsh fails instead.
        if (edited === null) throw new CliError([]);
        if (edited.name === name) {
          printExtra(ctx, `Snapshot ${name} edited.\n`);
        } else if (opts.bool('clone')) {
          printExtra(ctx, `Snapshot ${name} cloned to ${edited.name}.\n`);
        } else {
          const rename = opts.bool('rename');
          await cleanUp(() => ctx.conn.raw.domainSnapshotDelete(rename ? snap : edited, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY), rename ? name : edited.name);
          if (!rename) throw new CliError([`Must use --rename or --clone to change ${name} to ${edited.name}`]);
        }
      });
    },
  },
  {
    name: 'checkpoint-edit',
    group: 'Checkpoint',
    help: 'edit XML for a checkpoint',
    description: 'Edit the domain checkpoint XML for a named checkpoint',
    options: [DOMAIN, { name: 'checkpointname', kind: 'string', positional: true, help: 'checkpoint name' }],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const given = opts.string('checkpointname');
      if (given === undefined) throw new CliError(['--checkpointname is required']);
      const chk = await call(() => ctx.conn.raw.domainCheckpointLookupByName(dom, given, 0));
      const name = chk.name;
      await failingUpdate(name, async () => {
        const edited = await edit(ctx, {
          getXml: () => call(() => ctx.conn.raw.domainCheckpointGetXMLDesc(chk, VIR_DOMAIN_CHECKPOINT_XML_SECURE)),
          define: (xml) => ctx.conn.raw.domainCheckpointCreateXML(dom, xml, VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE),
          notChanged: `Checkpoint ${name} XML configuration not changed.\n`,
        });
        if (edited === undefined) return;
        if (edited === null) throw new CliError([]);
        if (edited.name === name) {
          printExtra(ctx, `Checkpoint ${name} edited.\n`);
          return;
        }
        await cleanUp(() => ctx.conn.raw.domainCheckpointDelete(edited, VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY), edited.name);
        throw new CliError([`Cannot rename checkpoint ${name} to ${edited.name}`]);
      });
    },
  },
];
