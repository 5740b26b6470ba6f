/**
 * The option tables of the commands added for issue 9 (migrate*, qemu-*,
 * backup-*, domblkthreshold, snapshot-create, dom-fd-associate) held to
 * what `virsh help COMMAND` shows of virsh 9.0.0's own tables: the one-line
 * help, the description, and each option in order with its type (as
 * vshCmddefHelp writes it: `--x` a bool, `[--x] <string>` data or argv,
 * `--x <string>` a string, `[--x] <number>` a required int, `--x <number>`
 * an int) and its help. What `help` renders from these tables is the help
 * renderer's to match.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { CommandSpec, OptionSpec } from '../../src/cli/command.js';
import { theirs } from './virsh-diff.js';

const NEW = [
  'migrate',
  'migrate-setmaxdowntime',
  'migrate-getmaxdowntime',
  'migrate-compcache',
  'migrate-setspeed',
  'migrate-getspeed',
  'migrate-postcopy',
  'qemu-attach',
  'qemu-monitor-command',
  'qemu-agent-command',
  'dom-fd-associate',
  'domblkthreshold',
  'backup-begin',
  'backup-dumpxml',
  'snapshot-create',
];

/** How virsh's OPTIONS section shows an option of this spec. */
function shownAs(o: OptionSpec): string {
  switch (o.kind) {
    case 'bool':
      return `--${o.name}`;
    case 'argv':
      return `[--${o.name}] <string>`;
    case 'int':
      return o.required ? `[--${o.name}] <number>` : `--${o.name} <number>`;
    case 'string':
      return o.required ? `[--${o.name}] <string>` : `--${o.name} <string>`;
  }
}

/** NAME, DESCRIPTION and OPTIONS (form and help) of a virsh help page. */
function page(text: string): { name: string; description: string | null; options: [string, string][] } {
  const lines = text.split('\n');
  const at = (title: string): number => lines.indexOf(`  ${title}`);
  const desc = at('DESCRIPTION');
  const opts = at('OPTIONS');
  return {
    name: lines[at('NAME') + 1].trim(),
    description: desc < 0 ? null : lines[desc + 1].slice(4),
    options:
      opts < 0
        ? []
        : lines
            .slice(opts + 1)
            .filter((l) => l.startsWith('    '))
            .map((l) => {
              const m = /^ {4}(\S+(?: <\w+>)?) +(.*)$/.exec(l);
              return [m![1], m![2]] as [string, string];
            }),
  };
}

describe("the new commands' tables are virsh's", () => {
  it.each(NEW)('%s', async (name) => {
    const cmd = COMMANDS.find((c) => c.name === name) as (CommandSpec & { description?: string }) | undefined;
    expect(cmd, `${name} exists`).toBeDefined();
    const virsh = page((await theirs(['help', name])).stdout);
    expect(`${cmd!.name} - ${cmd!.help}`).toBe(virsh.name);
    expect(cmd!.description ?? null).toBe(virsh.description);
    expect(cmd!.options.map((o) => [shownAs(o), o.help])).toEqual(virsh.options);
  });
});
