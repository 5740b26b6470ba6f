import {
  VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
  VIR_DOMAIN_SAVE_BYPASS_CACHE,
  VIR_DOMAIN_SAVE_PAUSED,
  VIR_DOMAIN_SAVE_RESET_NVRAM,
  VIR_DOMAIN_SAVE_RUNNING,
  VIR_DOMAIN_XML_SECURE,
  VIR_DUMP_BYPASS_CACHE,
  VIR_DUMP_CRASH,
  VIR_DUMP_LIVE,
  VIR_DUMP_MEMORY_ONLY,
  VIR_DUMP_RESET,
} from '../../procedures/libvirt-api.gen.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { call } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, XPATH_OPTIONS, exclusive, strOpt } from '../support/options.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { printExtra } from '../support/format.js';
import { lookupDomain } from '../support/lookup.js';
import { DUMP_FORMATS } from '../support/enum-names.js';
import { stat } from 'node:fs/promises';
import { abortJobOnInterrupt } from '../support/job-interrupt.js';
import { watchJob, wantsProgress } from '../support/progress.js';
import { parseXml, xmlFirst, xmlText } from '../../api/xml/reader.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';

const GROUP = 'Domain Management';

// ---------------------------------------------------------------------------------------------
// save / dump progress

/** What virsh prints on stderr for --verbose when a save or dump job ends well (virshWatchJob's final `[100 %]`). */
function reportDone(ctx: CommandContext, label: string): void {
  ctx.printError?.(`\r${label}: [100 %]`);
}

/** --running/--paused/--bypass-cache as virDomainSave* flags. */
function saveFlags(opts: ParsedOptions, withBypass: boolean): number {
  return (
    (withBypass && opts.bool('bypass-cache') ? VIR_DOMAIN_SAVE_BYPASS_CACHE : 0) |
    (opts.bool('running') ? VIR_DOMAIN_SAVE_RUNNING : 0) |
    (opts.bool('paused') ? VIR_DOMAIN_SAVE_PAUSED : 0)
  );
}

/**
 * For `restore --progress`: the domain the image will become (its name, from the image's XML or
 * --xml), looked up as it appears; null when the image cannot be read (then only the time is told).
 */
async function restoredDomain(ctx: CommandContext, file: string, xml: string | null): Promise<(() => Promise<RemoteNonnullDomain | null>) | null> {
  let name: string | undefined;
  try {
    const doc = parseXml(xml ?? (await ctx.conn.raw.domainSaveImageGetXMLDesc(file, 0)));
    const el = xmlFirst(doc, 'name');
    name = el ? xmlText(el) : undefined;
  } catch {
    return null;
  }
  if (!name) return null;
  const domName = name;
  return () => ctx.conn.raw.domainLookupByName(domName).catch(() => null);
}

// ---------------------------------------------------------------------------------------------

/**
 * managedsave (listed with the domain commands): virsh names the domain as
 * the user did in its messages, lets the daemon refuse --running with
 * --paused, and shows --verbose progress.
 */
const managedsaveCommand: CommandSpec = {
  name: 'managedsave',
  group: GROUP,
  help: 'managed save of a domain state',
  description:
    "Save and destroy a running domain, so it can be restarted from\n    the same state at a later time.  When the virsh 'start'\n    command is next run for the domain, it will automatically\n    be started from this saved state.",
  options: [
    DOMAIN,
    flag('bypass-cache', 'avoid file system cache when saving'),
    flag('running', 'set domain to be running on next start'),
    flag('paused', 'set domain to be paused on next start'),
    flag('verbose', 'display the progress of save'),
  ],
  extensions: ['progress'],
  async run(ctx, opts) {
    const name = opts.required('domain');
    const dom = await lookupDomain(ctx.conn, name);
    await watchJob(ctx, 'managedsave', dom, wantsProgress(opts), () =>
      abortJobOnInterrupt(ctx, dom, () => call(() => ctx.conn.raw.domainManagedSave(dom, saveFlags(opts, true)), `Failed to save domain '${name}' state`)),
    );
    if (opts.bool('verbose')) reportDone(ctx, 'Managedsave');
    printExtra(ctx, `\nDomain '${name}' state saved by libvirt\n`);
  },
};

/** The commands of this group. */
export const saveCommands: readonly CommandSpec[] = [
  managedsaveCommand,
  {
    name: 'save',
    group: GROUP,
    help: 'save a domain state to a file',
    description: 'Save the RAM state of a running domain.',
    options: [
      DOMAIN,
      valueOpt('file', 'string', 'where to save the data', { required: true }),
      flag('bypass-cache', 'avoid file system cache when saving'),
      valueOpt('xml', 'string', 'filename containing updated XML for the target'),
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
      flag('verbose', 'display the progress of save'),
    ],
    extensions: ['progress'],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      const to = strOpt(opts, 'file')!;
      const flags = saveFlags(opts, true);
      const xmlFile = strOpt(opts, 'xml');
      const xml = xmlFile !== undefined ? await ctx.readFile(xmlFile) : null;
      await watchJob(ctx, 'save', dom, wantsProgress(opts), () =>
        abortJobOnInterrupt(ctx, dom, () =>
          call(
            () => (flags || xml !== null ? ctx.conn.raw.domainSaveFlags(dom, to, xml, flags) : ctx.conn.raw.domainSave(dom, to)),
            `Failed to save domain '${name}' to ${to}`,
          ),
        ),
      );
      if (opts.bool('verbose')) reportDone(ctx, 'Save');
      printExtra(ctx, `\nDomain '${name}' saved to ${to}\n`);
    },
  },
  {
    name: 'restore',
    group: GROUP,
    help: 'restore a domain from a saved state in a file',
    description: 'Restore a domain.',
    options: [
      valueOpt('file', 'string', 'the state to restore', { required: true }),
      flag('bypass-cache', 'avoid file system cache when restoring'),
      valueOpt('xml', 'string', 'filename containing updated XML for the target'),
      flag('running', 'restore domain into running state'),
      flag('paused', 'restore domain into paused state'),
      flag('reset-nvram', 're-initialize NVRAM from its pristine template'),
    ],
    extensions: ['progress'],
    async run(ctx, opts) {
      const from = strOpt(opts, 'file')!;
      const flags = saveFlags(opts, true) | (opts.bool('reset-nvram') ? VIR_DOMAIN_SAVE_RESET_NVRAM : 0);
      const xmlFile = strOpt(opts, 'xml');
      const xml = xmlFile !== undefined ? await ctx.readFile(xmlFile) : null;
      const progress = wantsProgress(opts);
      await watchJob(
        ctx,
        'restore',
        progress ? await restoredDomain(ctx, from, xml) : null,
        progress,
        () =>
          call(
            () => (flags || xml !== null ? ctx.conn.raw.domainRestoreFlags(from, xml, flags) : ctx.conn.raw.domainRestore(from)),
            `Failed to restore domain from ${from}`,
          ),
        // The image, when it is on this host too: what the restore went through.
        progress
          ? await stat(from).then(
              (st) => (st.isFile() ? st.size : null),
              () => null,
            )
          : null,
        false,
      );
      printExtra(ctx, `Domain restored from ${from}\n`);
    },
  },
  {
    name: 'save-image-dumpxml',
    group: GROUP,
    help: 'saved state domain information in XML',
    description: 'Dump XML of domain information for a saved state file to stdout.',
    options: [
      valueOpt('file', 'string', 'saved state file to read', { required: true }),
      flag('security-info', 'include security sensitive information in XML dump'),
      ...XPATH_OPTIONS,
    ],
    async run(ctx, opts) {
      const file = strOpt(opts, 'file')!;
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.domainSaveImageGetXMLDesc(file, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'save-image-define',
    group: GROUP,
    help: "redefine the XML for a domain's saved state file",
    description: 'Replace the domain XML associated with a saved state file',
    options: [
      valueOpt('file', 'string', 'saved state file to modify', { required: true }),
      valueOpt('xml', 'string', 'filename containing updated XML for the target', { required: true }),
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
    ],
    async run(ctx, opts) {
      const flags = saveFlags(opts, false);
      const file = strOpt(opts, 'file')!;
      const xml = await ctx.readFile(strOpt(opts, 'xml')!);
      await call(() => ctx.conn.raw.domainSaveImageDefineXML(file, xml, flags), `Failed to update ${file}`);
      printExtra(ctx, `State file ${file} updated.\n`);
    },
  },
  {
    name: 'managedsave-dumpxml',
    group: GROUP,
    help: 'Domain information of managed save state file in XML',
    description: 'Dump XML of domain information for a managed save state file to stdout.',
    options: [DOMAIN, flag('security-info', 'include security sensitive information in XML dump'), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.domainManagedSaveGetXMLDesc(dom, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'managedsave-define',
    group: GROUP,
    help: "redefine the XML for a domain's managed save state file",
    description: 'Replace the domain XML associated with a managed save state file',
    options: [
      DOMAIN,
      valueOpt('xml', 'string', 'filename containing updated XML for the target', { required: true }),
      flag('running', 'set domain to be running on start'),
      flag('paused', 'set domain to be paused on start'),
    ],
    async run(ctx, opts) {
      const flags = saveFlags(opts, false);
      exclusive(opts, ['running', 'paused']);
      const xml = await ctx.readFile(strOpt(opts, 'xml')!);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainManagedSaveDefineXML(dom, xml, flags), `Failed to update ${dom.name} XML configuration`);
      printExtra(ctx, `Managed save state file of domain '${dom.name}' updated.\n`);
    },
  },
  {
    name: 'dump',
    group: GROUP,
    help: 'dump the core of a domain to a file for analysis',
    description: 'Core dump a domain.',
    options: [
      DOMAIN,
      valueOpt('file', 'string', 'where to dump the core', { required: true }),
      flag('live', 'perform a live core dump if supported'),
      flag('crash', 'crash the domain after core dump'),
      flag('bypass-cache', 'avoid file system cache when dumping'),
      flag('reset', 'reset the domain after core dump'),
      flag('verbose', 'display the progress of dump'),
      flag('memory-only', "dump domain's memory only"),
      valueOpt('format', 'string', 'specify the format of memory-only dump'),
    ],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      const to = strOpt(opts, 'file')!;
      const bits: [string, number][] = [
        ['live', VIR_DUMP_LIVE],
        ['crash', VIR_DUMP_CRASH],
        ['bypass-cache', VIR_DUMP_BYPASS_CACHE],
        ['reset', VIR_DUMP_RESET],
        ['memory-only', VIR_DUMP_MEMORY_ONLY],
      ];
      const flags = bits.reduce((f, [o, bit]) => (opts.bool(o) ? f | bit : f), 0);
      let format = VIR_DOMAIN_CORE_DUMP_FORMAT_RAW;
      if (opts.bool('format')) {
        if (!(flags & VIR_DUMP_MEMORY_ONLY)) throw new CliError(['--format only works with --memory-only']);
        const text = opts.string('format');
        if (text) {
          format = DUMP_FORMATS.indexOf(text);
          if (format < 0) throw new CliError([`format '${text}' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'`]);
        }
      }
      await abortJobOnInterrupt(ctx, dom, () =>
        call(
          () =>
            format !== VIR_DOMAIN_CORE_DUMP_FORMAT_RAW
              ? ctx.conn.raw.domainCoreDumpWithFormat(dom, to, format, flags)
              : ctx.conn.raw.domainCoreDump(dom, to, flags),
          `Failed to core dump domain '${name}' to ${to}`,
        ),
      );
      if (opts.bool('verbose')) reportDone(ctx, 'Dump');
      printExtra(ctx, `\nDomain '${name}' dumped to ${to}\n`);
    },
  },
];
