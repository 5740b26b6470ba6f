/**
 * Commands that reach into QEMU (qemu-monitor-command, qemu-agent-command,
 * qemu-attach) and dom-fd-associate, with virsh's options, checks and
 * output (tools/virsh-domain.c cmdQemuMonitorCommand, cmdQemuAgentCommand,
 * cmdQemuAttach, cmdDomFdAssociate).
 * `--pass-fds` is parsed and refused as support/pass-fds.ts says.
 */
import {
  VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK,
  VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT,
  VIR_DOMAIN_QEMU_AGENT_COMMAND_NOWAIT,
  VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP,
} from '../../procedures/libvirt-api.gen.js';
import { CliError, type CommandSpec, type OptionSpec } from '../command.js';
import { call } from '../support/failures.js';
import { printExtra } from '../support/format.js';
import { jsonMember, jsonText, parseJson, prettyJson } from '../support/json.js';
import { jsonParseError } from '../support/yajl.js';
import { lookupDomain } from '../support/lookup.js';
import { numberOpt } from '../support/numbers.js';
import { cannotPassFds, passFds } from '../support/pass-fds.js';
import { argvOpt, DOMAIN, exclusive, flag, strOpt, valueOpt } from '../support/options.js';

const GROUP = 'Domain Management';

/** The `<cmd>...` of the qemu-* commands (a required VSH_OT_ARGV). */
const CMD: OptionSpec = { ...argvOpt('cmd', 'command'), required: true };

/**
 * The QMP command of qemu-monitor-command's words (cmdQemuMonitorCommandQMPWrap):
 * a JSON object as it is; otherwise the first word is the command name and
 * the rest its arguments (a JSON object, or `key:value` pieces joined into one).
 */
function qmpCommand(words: readonly string[]): string {
  const full = words.join(' ');
  if (parseJson(full)?.kind === 'object') return full;
  const [name, ...rest] = words;
  const args = rest.length ? rest.join(' ') : null;
  let argsJson = args === null ? null : parseJson(args);
  if (args !== null && argsJson?.kind !== 'object') {
    const wrapped = `{${rest.join(',')}}`;
    argsJson = parseJson(wrapped);
    // virsh's line, then libvirt's parse error (it saved it as the command's error).
    if (argsJson === null) throw new CliError([`failed to wrap arguments '${args}' into a QMP command wrapper`, jsonParseError(wrapped) ?? '']);
  }
  const entries: [string, NonNullable<typeof argsJson>][] = [['execute', { kind: 'string', value: name }]];
  if (argsJson) entries.push(['arguments', argsJson]);
  return jsonText({ kind: 'object', entries }, false);
}

/** The commands of this module. */
export const qemuCommands: readonly CommandSpec[] = [
  {
    description: 'QEMU Attach',
    name: 'qemu-attach',
    group: GROUP,
    help: 'QEMU Attach',
    options: [valueOpt('pid', 'string', 'pid', { required: true })],
    async run(ctx, opts) {
      const pid = numberOpt(opts, 'pid', 'uint')!;
      const dom = await call(() => ctx.conn.raw.domainQemuAttach(Number(pid), 0), `Failed to attach to pid ${pid}`);
      printExtra(ctx, `Domain '${dom.name}' attached to pid ${pid}\n`);
    },
  },
  {
    description: 'QEMU Monitor Command',
    name: 'qemu-monitor-command',
    group: GROUP,
    help: 'QEMU Monitor Command',
    options: [
      DOMAIN,
      flag('hmp', 'command is in human monitor protocol'),
      flag('pretty', 'pretty-print any qemu monitor protocol output'),
      flag('return-value', "extract the value of the 'return' key from the returned string"),
      valueOpt('pass-fds', 'string', 'pass file descriptors N,M,... along with the command', { named: true }),
      CMD,
    ],
    async run(ctx, opts) {
      exclusive(opts, ['hmp', 'pretty'], ['hmp', 'return-value']);
      const pretty = opts.bool('pretty');
      const returnValue = opts.bool('return-value');
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const hmp = opts.bool('hmp');
      const words = opts.list('cmd');
      const command = hmp ? words.join(' ') : qmpCommand(words);
      if (passFds(opts)) throw cannotPassFds();
      const result = await call(() => ctx.conn.raw.domainQemuMonitorCommand(dom, command, hmp ? VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP : 0));
      const json = returnValue || pretty ? parseJson(result) : null;
      if (returnValue && !json) throw new CliError(['failed to parse JSON returned by qemu']);
      if (!json) {
        ctx.print(`${result}\n`);
        return;
      }
      const shown = returnValue ? jsonMember(json, 'return') : json;
      if (!shown) throw new CliError(["'return' member missing"]);
      // virTrimSpaces: the pretty form's final newline goes.
      ctx.print(jsonText(shown, pretty).trim());
    },
  },
  {
    description: 'Run an arbitrary qemu guest agent command; use at your own risk',
    name: 'qemu-agent-command',
    group: GROUP,
    help: 'QEMU Guest Agent Command',
    options: [
      DOMAIN,
      valueOpt('timeout', 'int', 'timeout seconds. must be positive.', { named: true }),
      flag('async', 'execute command without waiting for timeout'),
      flag('block', 'execute command without timeout'),
      flag('pretty', 'pretty-print the output'),
      CMD,
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const command = opts.list('cmd').join(' ');
      const given = numberOpt(opts, 'timeout', 'int');
      let timeout = given === undefined ? VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT : Number(given);
      let choices = given === undefined ? 0 : 1;
      if (given !== undefined && timeout < 1) throw new CliError(['timeout must be positive']);
      if (opts.bool('async')) {
        timeout = VIR_DOMAIN_QEMU_AGENT_COMMAND_NOWAIT;
        choices++;
      }
      if (opts.bool('block')) {
        timeout = VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK;
        choices++;
      }
      if (choices > 1) throw new CliError(['timeout, async and block options are exclusive']);
      const result = (await call(() => ctx.conn.raw.domainQemuAgentCommand(dom, command, timeout, 0))) ?? '';
      ctx.print(`${opts.bool('pretty') ? prettyJson(result) : result}\n`);
    },
  },
  {
    description: 'associate a FD with a domain',
    name: 'dom-fd-associate',
    group: GROUP,
    help: 'associate a FD with a domain',
    options: [
      DOMAIN,
      valueOpt('name', 'string', 'name of the FD group', { required: true }),
      valueOpt('pass-fds', 'string', 'file descriptors N,M,... to associate', { required: true }),
      flag('seclabel-writable', 'use seclabels allowing writes'),
      flag('seclabel-restore', 'try to restore security label after use if possible'),
    ],
    async run(ctx, opts) {
      // --seclabel-writable and --seclabel-restore would be the call's flags; the call is never made.
      await lookupDomain(ctx.conn, opts.required('domain'));
      strOpt(opts, 'name');
      // virDomainFDAssociate refuses an empty list on the client side (virCheckNonZeroArgGoto).
      if (!passFds(opts)) throw new CliError(['nfds in virDomainFDAssociate must not be zero']);
      throw cannotPassFds();
    },
  },
];
