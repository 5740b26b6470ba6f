/**
 * Disk backups (backup-begin, backup-dumpxml: tools/virsh-backup.c) and the
 * threshold of the block-threshold event (domblkthreshold:
 * tools/virsh-domain.c cmdDomblkthreshold), with virsh's options and output.
 */
import { VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL } from '../../procedures/libvirt-api.gen.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { call } from '../support/failures.js';
import { lookupDomain } from '../support/lookup.js';
import { scaledOpt, ULLONG_MAX } from '../support/numbers.js';
import { DOMAIN, flag, strArg, strOpt, valueOpt, XPATH_OPTIONS } from '../support/options.js';
import { printXml, xpathOption } from '../support/xpath.js';

/** The text of the file an option names (virFileReadAll: libvirt's error alone when it cannot), or null when not given. */
async function optionalFile(ctx: CommandContext, path: string | undefined): Promise<string | null> {
  return path === undefined ? null : await ctx.readFile(path);
}

/** The commands of this module. */
export const backupCommands: readonly CommandSpec[] = [
  {
    description: 'Use XML to start a full or incremental disk backup of a live domain, optionally creating a checkpoint',
    name: 'backup-begin',
    group: 'Backup',
    help: 'Start a disk backup of a live domain',
    options: [
      DOMAIN,
      valueOpt('backupxml', 'string', 'domain backup XML'),
      valueOpt('checkpointxml', 'string', 'domain checkpoint XML'),
      flag('reuse-external', 'reuse files provided by caller'),
    ],
    async run(ctx, opts) {
      const flags = opts.bool('reuse-external') ? VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL : 0;
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      // Without a file, virsh asks for a backup of every disk with the daemon's defaults.
      const backup = (await optionalFile(ctx, strOpt(opts, 'backupxml'))) ?? '<domainbackup/>';
      const checkpoint = await optionalFile(ctx, strOpt(opts, 'checkpointxml'));
      await call(() => ctx.conn.raw.domainBackupBegin(dom, backup, checkpoint, flags));
      ctx.print('Backup started\n');
    },
  },
  {
    description: 'Backup Dump XML',
    name: 'backup-dumpxml',
    group: 'Backup',
    help: 'Dump XML for an ongoing domain block backup job',
    options: [DOMAIN, ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.domainBackupGetXMLDesc(dom, 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    description: 'set threshold for block-threshold event for a block device',
    name: 'domblkthreshold',
    group: 'Domain Management',
    help: "set the threshold for block-threshold event for a given block device or it's backing chain element",
    options: [
      DOMAIN,
      valueOpt('dev', 'string', 'device to set threshold for', { required: true }),
      valueOpt('threshold', 'int', 'threshold as a scaled number (by default bytes)', { required: true }),
    ],
    async run(ctx, opts) {
      // virsh reads the device and the threshold before it looks the domain up.
      const dev = strArg(opts, 'dev');
      const threshold = scaledOpt(opts, 'threshold', 1n, ULLONG_MAX) ?? 0n;
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainSetBlockThreshold(dom, dev, threshold, 0));
    },
  },
];
