import { VIR_DOMAIN_SEND_KEY_MAX_KEYS } from '../../procedures/libvirt-api.gen.js';
import { CliError, type CommandSpec } from '../command.js';
import { call } from '../support/failures.js';
import { valueOpt, DOMAIN, AFFECT_OPTS, exclusive, affectFlags, strOpt } from '../support/options.js';
import { UINT_MAX, parseUnsigned, parseSigned, numberOpt } from '../support/numbers.js';
import { printExtra } from '../support/format.js';
import { lookupDomain } from '../support/lookup.js';
import { KEYCODE_SETS, keycodeByName } from '../support/keycodes.js';
import { LIFECYCLE_ACTIONS, LIFECYCLE_TYPES, SUSPEND_TARGETS } from '../support/enum-names.js';

const GROUP = 'Domain Management';

const SIGNALS = [
  'nop',
  'hup',
  'int',
  'quit',
  'ill',
  'trap',
  'abrt',
  'bus',
  'fpe',
  'kill',
  'usr1',
  'segv',
  'usr2',
  'pipe',
  'alrm',
  'term',
  'stkflt',
  'chld',
  'cont',
  'stop',
  'tstp',
  'ttin',
  'ttou',
  'urg',
  'xcpu',
  'xfsz',
  'vtalrm',
  'prof',
  'winch',
  'poll',
  'pwr',
  'sys',
  ...Array.from({ length: 33 }, (_, i) => `rt${i}`),
];

/** A signal by number or name (`kill`, `SIGKILL`, `sig_kill`, any case), as virsh's getSignalNumber reads it; -1 when unknown. */
function signalNumber(text: string): number {
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const n = parseSigned(lower, 32);
  if (n !== null) return Number(n);
  const name = lower.startsWith('sig_') ? lower.slice(4) : lower.startsWith('sig') ? lower.slice(3) : lower;
  return SIGNALS.indexOf(name);
}

/** A key code as virsh reads one: a number (any C base) up to 0xffff, else a name of the codeset. */
function keycode(codeset: string, text: string): number {
  const n = parseUnsigned(text, 0, UINT_MAX);
  if (n && n.value <= 0xffffn) return Number(n.value);
  const named = keycodeByName(codeset, text);
  if (named === undefined) throw new CliError([`invalid keycode: '${text}'`]);
  return named;
}

/** The commands of this group. */
export const controlCommands: readonly CommandSpec[] = [
  {
    name: 'reset',
    group: GROUP,
    help: 'reset a domain',
    description: 'Reset the target domain as if by power button',
    options: [DOMAIN],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      await call(() => ctx.conn.raw.domainReset(dom, 0), `Failed to reset domain '${name}'`);
      printExtra(ctx, `Domain '${name}' was reset\n`);
    },
  },
  {
    name: 'inject-nmi',
    group: GROUP,
    help: 'Inject NMI to the guest',
    description: 'Inject NMI to the guest domain.',
    options: [DOMAIN],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainInjectNMI(dom, 0));
    },
  },
  {
    name: 'send-key',
    group: GROUP,
    help: 'Send keycodes to the guest',
    description: 'Send keycodes (integers or symbolic names) to the guest',
    options: [
      DOMAIN,
      valueOpt('codeset', 'string', 'the codeset of keycodes, default:linux', { named: true }),
      valueOpt('holdtime', 'int', 'the time (in milliseconds) how long the keys will be held', { named: true }),
      valueOpt('keycode', 'argv', 'the key code', { required: true }),
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      // An empty --codeset counts as none given (vshCommandOptStringQuiet).
      let codesetName = opts.string('codeset') || 'linux';
      const holdtime = numberOpt(opts, 'holdtime', 'uint') ?? 0n;
      // qnum was called rfb once; virsh still takes the old name.
      if (codesetName === 'rfb') codesetName = 'qnum';
      const codeset = KEYCODE_SETS.indexOf(codesetName);
      if (codeset < 0) throw new CliError([`unknown codeset: '${codesetName}'`]);
      const keys: number[] = [];
      for (const text of opts.list('keycode')) {
        if (keys.length === VIR_DOMAIN_SEND_KEY_MAX_KEYS) throw new CliError(['too many keycodes']);
        keys.push(keycode(codesetName, text));
      }
      await call(() => ctx.conn.raw.domainSendKey(dom, codeset, Number(holdtime), keys, 0));
    },
  },
  {
    name: 'send-process-signal',
    group: GROUP,
    help: 'Send signals to processes',
    description: 'Send signals to processes in the guest',
    options: [
      DOMAIN,
      valueOpt('pid', 'string', 'the process ID', { required: true }),
      valueOpt('signame', 'string', 'the signal number or name', { required: true }),
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const pidText = opts.required('pid');
      const pid = parseSigned(pidText, 64);
      if (pid === null) throw new CliError([`Numeric value '${pidText}' for <pid> option is malformed or out of range`]);
      const signame = strOpt(opts, 'signame')!;
      const signum = signalNumber(signame);
      if (signum < 0) throw new CliError([`malformed signal name: ${signame}`]);
      await call(() => ctx.conn.raw.domainSendProcessSignal(dom, pid, signum, 0));
    },
  },
  {
    name: 'set-lifecycle-action',
    group: GROUP,
    help: 'change lifecycle actions',
    description: 'Change lifecycle actions for the guest domain.',
    options: [
      DOMAIN,
      valueOpt('type', 'string', 'lifecycle type to modify', { required: true }),
      valueOpt('action', 'string', 'lifecycle action to set', { required: true }),
      ...AFFECT_OPTS,
    ],
    async run(ctx, opts) {
      const flags = affectFlags(opts);
      const typeText = strOpt(opts, 'type')!;
      const actionText = strOpt(opts, 'action')!;
      const type = LIFECYCLE_TYPES.indexOf(typeText);
      if (type < 0) throw new CliError([`Invalid lifecycle type '${typeText}'.`]);
      const action = LIFECYCLE_ACTIONS.indexOf(actionText);
      if (action < 0) throw new CliError([`Invalid lifecycle action '${actionText}'.`]);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainSetLifecycleAction(dom, type, action, flags), 'Unable to change lifecycle action.');
    },
  },
  {
    name: 'dompmsuspend',
    group: GROUP,
    help: 'suspend a domain gracefully using power management functions',
    description: "Suspends a running domain using guest OS's power management. (Note: This requires a guest agent configured and running in the guest OS).",
    options: [
      DOMAIN,
      valueOpt('target', 'string', 'mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)', { required: true }),
      valueOpt('duration', 'int', 'duration in seconds', { named: true }),
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const duration = numberOpt(opts, 'duration', 'ullong') ?? 0n;
      const target = SUSPEND_TARGETS.indexOf(strOpt(opts, 'target')!);
      if (target < 0) throw new CliError(['Invalid target']);
      await call(() => ctx.conn.raw.domainPMSuspendForDuration(dom, target, duration, 0), `Domain '${dom.name}' could not be suspended`);
      // Left to virsh's closing newline.
      printExtra(ctx, `Domain '${dom.name}' successfully suspended`);
    },
  },
  {
    name: 'dompmwakeup',
    group: GROUP,
    help: 'wakeup a domain from pmsuspended state',
    description: 'Wakeup a domain that was previously suspended by power management.',
    options: [DOMAIN],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainPMWakeup(dom, 0), `Domain '${dom.name}' could not be woken up`);
      printExtra(ctx, `Domain '${dom.name}' successfully woken up`);
    },
  },
  {
    name: 'domxml-from-native',
    group: GROUP,
    help: 'Convert native config to domain XML',
    description: 'Convert native guest configuration format to domain XML format.',
    options: [
      valueOpt('format', 'string', 'source config data format', { required: true }),
      valueOpt('config', 'string', 'config data file to import from', { required: true }),
    ],
    async run(ctx, opts) {
      const format = strOpt(opts, 'format')!;
      const config = await ctx.readFile(strOpt(opts, 'config')!);
      ctx.print(await call(() => ctx.conn.raw.connectDomainXMLFromNative(format, config, 0)));
    },
  },
  {
    name: 'domxml-to-native',
    group: GROUP,
    help: 'Convert domain XML to native config',
    description: 'Convert domain XML config to a native guest configuration format.',
    options: [
      valueOpt('format', 'string', 'target config data type format', { required: true }),
      valueOpt('domain', 'string', 'domain name, id or uuid', { named: true }),
      valueOpt('xml', 'string', 'xml data file to export from'),
    ],
    async run(ctx, opts) {
      const format = strOpt(opts, 'format')!;
      const xmlFile = strOpt(opts, 'xml');
      exclusive(opts, ['domain', 'xml']);
      let xml: string;
      if (opts.bool('domain')) {
        const dom = await lookupDomain(ctx.conn, opts.required('domain'));
        xml = await call(() => ctx.conn.raw.domainGetXMLDesc(dom, 0), 'failed to retrieve XML');
      } else if (xmlFile !== undefined) {
        xml = await ctx.readFile(xmlFile);
      } else {
        throw new CliError(['need either domain or domain XML']);
      }
      ctx.print(await call(() => ctx.conn.raw.connectDomainXMLToNative(format, xml, 0)));
    },
  },
];
