/**
 * virsh's `help` (tools/vsh.c cmdHelp, vshCmdGrpHelp, vshCmddefHelp): its
 * groups in virsh's order with their keywords, each group's commands in the
 * order of virsh's command tables, and one command's page, all rendered from
 * the commands' own definitions.
 */
import { CliError, type CommandSpec, type OptionSpec } from '../command.js';
import { VIRSH_HELP_ORDER } from './help-order.js';
import { findCommand } from './parser.js';

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

/** The keyword of a group (`help KEYWORD`). */
function keywordOf(group: string): string {
  return GROUP_KEYWORDS.get(group) ?? group.toLowerCase().split(' ')[0];
}

/** One group's listing (vshCmdGrpHelp): its title and its listed commands in virsh's order. */
function groupText(all: readonly CommandSpec[], group: string): string {
  const rank = (n: string): number => {
    const i = VIRSH_HELP_ORDER.indexOf(n);
    return i < 0 ? VIRSH_HELP_ORDER.length : i;
  };
  const cmds = all
    .filter((c) => c.group === group && !c.hidden)
    .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out = ` ${group} (help keyword '${keywordOf(group)}'):\n`;
  for (const c of cmds) out += `    ${c.name.padEnd(30)} ${c.help}\n`;
  return out;
}

/**
 * How vshCmddefHelp shows an option. An option's table type follows from
 * its spec: a bool is VSH_OT_BOOL; a required string is VSH_OT_DATA, an
 * optional one VSH_OT_STRING; an int is VSH_OT_INT (required or not); argv
 * is VSH_OT_ARGV. An option that is not positional has VSH_OFLAG_REQ_OPT.
 */
function optionForms(o: OptionSpec, shortopt: boolean): { synopsis: string; option: string } {
  switch (o.kind) {
    case 'bool':
      return { synopsis: `[--${o.name}]`, option: `--${o.name}` };
    case 'int':
      return o.required
        ? { synopsis: `<${o.name}>`, option: `[--${o.name}] <number>` }
        : { synopsis: `[--${o.name} <number>]`, option: `--${o.name} <number>` };
    case 'string':
      return o.required
        ? { synopsis: `<${o.name}>`, option: `[--${o.name}] <string>` }
        : { synopsis: `[--${o.name} <string>]`, option: `--${o.name} <string>` };
    case 'argv':
      if (shortopt) return { synopsis: o.required ? `{[--${o.name}] <string>}...` : `[[--${o.name}] <string>]...`, option: `[--${o.name}] <string>` };
      return { synopsis: o.required ? `<${o.name}>...` : `[<${o.name}>]...`, option: `<${o.name}>` };
  }
}

/** One command's page (vshCmddefHelp): NAME, SYNOPSIS, DESCRIPTION when it has one, OPTIONS when it has any. */
export function commandHelp(cmd: CommandSpec): string {
  // An argv option can also be given as `--name value` once an earlier option could be given without its name.
  let shortopt = false;
  const shown = cmd.options.filter((o) => !o.hidden);
  const forms = shown.map((o) => {
    const f = optionForms(o, shortopt);
    if (o.kind !== 'bool' && o.kind !== 'argv' && o.positional) shortopt = true;
    return f;
  });
  let out = `  NAME\n    ${cmd.name} - ${cmd.help}\n\n  SYNOPSIS\n    ${cmd.name}`;
  for (const f of forms) out += ` ${f.synopsis}`;
  out += '\n';
  if (cmd.description) out += `\n  DESCRIPTION\n    ${cmd.description}\n`;
  if (shown.length) {
    out += '\n  OPTIONS\n';
    shown.forEach((o, i) => {
      out += `    ${forms[i].option.padEnd(15)}  ${o.help}\n`;
    });
  }
  return `${out}\n`;
}

/**
 * What `help` prints (cmdHelp): every group with its commands; one command's
 * page (an alias shows the page of its command); or one group, named by
 * keyword or by name.
 */
export function helpText(all: readonly CommandSpec[], name: string | undefined): string {
  const order = [...GROUP_KEYWORDS.keys(), ...new Set(all.map((c) => c.group).filter((g) => !GROUP_KEYWORDS.has(g)))];
  const present = order.filter((g) => all.some((c) => c.group === g));
  // An empty name counts as none (vshCommandOptStringQuiet).
  if (!name) return `Grouped commands:\n\n${present.map((g) => `${groupText(all, g)}\n`).join('')}`;
  const cmd = findCommand(all, name);
  if (cmd) return commandHelp(cmd);
  const group = present.find((g) => g === name || keywordOf(g) === name);
  if (group !== undefined) return groupText(all, group);
  throw new CliError([`command or command group '${name}' doesn't exist`]);
}
