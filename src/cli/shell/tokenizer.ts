/**
 * Splitting a command string into commands and their arguments as virsh
 * does (tools/vsh.c vshCommandStringGetArg, vshCommandParse).
 */
import { CliError } from '../command.js';

const blank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/**
 * Splits a command string into commands and their arguments as virsh does
 * (vshCommandStringGetArg): blanks separate arguments, `;` and newlines
 * separate commands, `#` at the start of an argument comments out the rest of
 * the line, `'...'` is literal, `"..."` and bare text take `\` escapes, and
 * `\` before a newline joins the lines. A `"` left open or a `\` at the end
 * is a usage error.
 */
export function splitCommandString(text: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  const endCommand = (): void => {
    if (current.length) commands.push(current);
    current = [];
  };
  let i = 0;
  while (i < text.length) {
    while (blank(text[i]) || (text[i] === '\\' && text[i + 1] === '\n')) i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) break;
    const c = text[i];
    if (c === ';' || c === '\n') {
      endCommand();
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      endCommand();
      i++;
      continue;
    }
    let arg = '';
    let single = false;
    let double = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (!single && !double && (blank(ch) || ch === ';' || ch === '\n')) break;
      if (!double && ch === "'") {
        single = !single;
      } else if (!single && ch === '"') {
        double = !double;
      } else if (!single && ch === '\\') {
        i++;
        if (i >= text.length) throw new CliError(['dangling \\'], { usage: true });
        if (text[i] !== '\n') arg += text[i];
      } else {
        arg += ch;
      }
    }
    if (double) throw new CliError(['missing "'], { usage: true });
    current.push(arg);
  }
  endCommand();
  return commands;
}

/**
 * The command of a command line given as separate arguments (`tsvirsh
 * list --all`): none when its first word starts with `#`, which makes the
 * whole line a comment (vshCommandParse: "first token must be command name
 * or comment").
 */
export function argvCommands(args: readonly string[]): string[][] {
  if (args.length === 0 || args[0].startsWith('#')) return [];
  return [[...args]];
}
