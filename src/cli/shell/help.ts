/**
 * virsh's `help` (tools/vsh.c vshCmdGrpHelp, vshCmddefHelp): its groups in
 * virsh's order with their keywords, each group's commands in the order of
 * virsh's command tables, and one command's page.
 */
import { CliError, type CommandSpec } from '../command.js';
import { VIRSH_HELP_ORDER } from './help-order.js';

/** virsh's command groups, in the order `help` lists them, with the keyword `help KEYWORD` takes. */
const GROUP_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['Domain Management', 'domain'],
  ['Domain Monitoring', 'monitor'],
  ['Domain Events', 'events'],
  ['Host and Hypervisor', 'host'],
  ['Checkpoint', 'checkpoint'],
  ['Interface', 'interface'],
  ['Network Filter', 'filter'],
  ['Networking', 'network'],
  ['Node Device', 'nodedev'],
  ['Secret', 'secret'],
  ['Snapshot', 'snapshot'],
  ['Backup', 'backup'],
  ['Storage Pool', 'pool'],
  ['Storage Volume', 'volume'],
  ['Virsh itself', 'virsh'],
]);

/**
 * What `help` prints (vshCmdGrpHelp, vshCmddefHelp): every group with its
 * commands, one group (`help KEYWORD`), or one command's NAME, SYNOPSIS and
 * OPTIONS.
 */
export function helpText(all: readonly CommandSpec[], name: string | undefined): string {
  // virsh lists its groups in this order, each with its keyword, and each group's commands in its own order.
  const groupText = (group: string): string => {
    const rank = (n: string): number => {
      const i = VIRSH_HELP_ORDER.indexOf(n);
      return i < 0 ? VIRSH_HELP_ORDER.length : i;
    };
    const cmds = all
      .filter((c) => c.group === group && !c.hidden)
      .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let out = ` ${group} (help keyword '${GROUP_KEYWORDS.get(group) ?? group.toLowerCase().split(' ')[0]}'):\n`;
    for (const c of cmds) out += `    ${c.name.padEnd(30)} ${c.help}\n`;
    return `${out}\n`;
  };
  const order = [...GROUP_KEYWORDS.keys(), ...new Set(all.map((c) => c.group).filter((g) => !GROUP_KEYWORDS.has(g)))];
  const present = order.filter((g) => all.some((c) => c.group === g));
  if (name === undefined) return `Grouped commands:\n\n${present.map(groupText).join('')}`;
  const byKeyword = present.find((g) => GROUP_KEYWORDS.get(g) === name);
  if (byKeyword !== undefined) return groupText(byKeyword).slice(0, -1);
  const cmd = all.find((c) => c.name === name);
  if (!cmd) throw new CliError([`command or command group '${name}' doesn't exist`]);
  let out = `  NAME\n    ${cmd.name} - ${cmd.help}\n\n  SYNOPSIS\n    ${cmd.name}`;
  for (const o of cmd.options) {
    const v = o.kind === 'bool' ? `--${o.name}` : o.positional ? `<${o.name}>` : `--${o.name} <${o.kind}>`;
    out += o.required ? ` ${v}` : ` [${v}]`;
  }
  out += '\n\n  OPTIONS\n';
  for (const o of cmd.options) {
    const v = o.kind === 'bool' ? `--${o.name}` : o.positional ? `[--${o.name}] <${o.kind}>` : `--${o.name} <${o.kind}>`;
    out += `    ${v.padEnd(20)} ${o.help}\n`;
  }
  return `${out}\n`;
}
