/**
 * virsh's own commands (tools/vsh.c, virsh.c): cd, echo, exit, help, pwd,
 * quit, connect. They are ordinary commands of the group `Virsh itself`
 * that need no connection; what they ask of the session (its command list,
 * a reconnection, whether it is interactive) comes through `ctx.shell`.
 */
import { homedir } from 'node:os';
import { CliError, type CommandContext, type CommandSpec, type ParsedOptions, type ShellControl } from '../command.js';
import { argvOpt, exclusive, flag, valueOpt } from '../support/options.js';
import { strerror } from '../support/strerror.js';
import { escapeXml } from '../support/xml.js';
import { helpText } from './help.js';

/** The `help` group of virsh's own commands. */
export const VIRSH_GROUP = 'Virsh itself';

/** The session of a virsh command (always there: the session runs them). */
function shellOf(ctx: CommandContext): ShellControl {
  if (!ctx.shell) throw new CliError(['this command needs a virsh session']);
  return ctx.shell;
}

/** Characters that make virBufferEscapeShell quote an argument. */
const SHELL_META = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** An argument quoted for a POSIX shell as virsh's `echo --shell` does (virBufferEscapeShell). */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (!SHELL_META.test(s)) return s;
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** An argument split on `,`, with `,,` for a literal comma (vshStringToArray); nothing for an empty one. */
export function splitCommas(s: string): string[] {
  if (s === '') return [];
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ',') cur += s[i];
    else if (s[i + 1] === ',') cur += s[i++];
    else {
      parts.push(cur);
      cur = '';
    }
  }
  parts.push(cur);
  return parts;
}

/**
 * What virsh's `echo` writes for its arguments (without a newline: virsh's
 * end-of-command blank line ends it), or null without arguments.
 */
export function echoText(opts: ParsedOptions): string | null {
  if (!opts.bool('string')) return null;
  const pieces = opts.list('string').map((a) => {
    if (opts.bool('xml')) return escapeXml(a);
    if (opts.bool('shell')) return shellQuote(a);
    if (opts.bool('split'))
      return splitCommas(a)
        .map((p) => `${p}\n`)
        .join('');
    return a;
  });
  // virsh adds a space after each piece, then trims one from the end (virBufferTrim).
  return pieces.join(' ');
}

/** echo's aliases (`--str` for `--string`, `--hi` for `--string=hello`), rewritten before parsing as virsh resolves VSH_OT_ALIAS. */
export function echoAliases(args: readonly string[]): string[] {
  const out: string[] = [];
  let dataOnly = false;
  for (const a of args) {
    if (dataOnly || a === '--') {
      dataOnly = true;
      out.push(a);
    } else if (a === '--str' || a.startsWith('--str=')) {
      out.push(`--string${a.slice(5)}`);
    } else if (a === '--hi') {
      out.push('--string=hello');
    } else if (a.startsWith('--hi=')) {
      throw new CliError(["invalid '=' after option --hi"], { usage: true });
    } else {
      out.push(a);
    }
  }
  return out;
}

/** A command of virsh itself: no connection needed. */
function builtin(spec: Omit<CommandSpec, 'group' | 'connects'>): CommandSpec {
  return { ...spec, group: VIRSH_GROUP, connects: false };
}

/** virsh's own commands, in virsh's order for `help`. */
export const BUILTINS: readonly CommandSpec[] = [
  builtin({
    name: 'cd',
    help: 'change the current directory',
    description: 'Change the current directory.',
    options: [valueOpt('dir', 'string', 'directory to switch to (default: home or else root)')],
    async run(ctx, opts) {
      if (!shellOf(ctx).interactive) throw new CliError(['cd: command valid only in interactive mode']);
      const dir = opts.string('dir') || homedir() || '/';
      try {
        process.chdir(dir);
      } catch (err) {
        throw new CliError([`cd: ${strerror(err)}: ${dir}`]);
      }
    },
  }),
  builtin({
    name: 'echo',
    help: 'echo arguments. Used for internal testing.',
    description: 'Echo back arguments, possibly with quoting. Used for internal testing.',
    options: [
      flag('shell', 'escape for shell use'),
      flag('xml', 'escape for XML use'),
      flag('split', "split each argument on ','; ',,' is an escape sequence"),
      flag('err', 'output to stderr'),
      argvOpt('string', 'arguments to echo'),
    ],
    aliases: echoAliases,
    async run(ctx, opts) {
      exclusive(opts, ['shell', 'xml'], ['shell', 'split'], ['xml', 'split']);
      const text = echoText(opts);
      if (text === null) return;
      if (opts.bool('err')) ctx.printError?.(`error: ${text}\n`);
      else ctx.print(text);
    },
  }),
  builtin({ name: 'exit', help: 'quit this interactive terminal', options: [], quits: true, async run() {} }),
  builtin({
    name: 'help',
    help: 'print help',
    description: 'Prints global help, command specific help, or help for a\n    group of related commands',
    options: [valueOpt('command', 'string', 'Prints global help, command specific help, or help for a group of related commands')],
    async run(ctx, opts) {
      ctx.print(helpText(shellOf(ctx).commands, opts.string('command')));
    },
  }),
  builtin({
    name: 'pwd',
    help: 'print the current directory',
    description: 'Print the current directory.',
    options: [],
    async run(ctx) {
      ctx.print(`${process.cwd()}\n`);
    },
  }),
  builtin({
    name: 'complete',
    help: 'internal command for autocompletion',
    hidden: true,
    options: [argvOpt('string', 'partial string to autocomplete')],
    async run(ctx, opts) {
      // virsh connects for the completers first (without asking for credentials on its stdin).
      const shell = shellOf(ctx);
      const words = opts.list('string');
      if (words.length) await shell.connection();
      const { completeCommandText } = await import('./complete.js');
      ctx.print(await completeCommandText(words, { commands: shell.commands, connection: () => shell.connection() }));
    },
  }),
  builtin({ name: 'quit', help: 'quit this interactive terminal', options: [], quits: true, async run() {} }),
  builtin({
    name: 'connect',
    help: '(re)connect to hypervisor',
    description: 'Connect to local hypervisor. This is built-in command after shell start up.',
    options: [valueOpt('name', 'string', 'hypervisor connection URI'), flag('readonly', 'read-only connection')],
    async run(ctx, opts) {
      await shellOf(ctx).reconnect(opts.string('name'), opts.bool('readonly'));
    },
  }),
];
