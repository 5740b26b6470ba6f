import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/command.js';
import { argvCommands, splitCommandString } from '../../../src/cli/shell/tokenizer.js';

/** The usage error a command string raises, or null. */
function usageError(text: string): string[] | null {
  try {
    splitCommandString(text);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).usage).toBe(true);
    return [...(err as CliError).lines];
  }
}

// Expected values are what virsh 9.0's vshCommandStringGetArg makes of the same text
// (checked with `virsh "echo ..."`, which prints its arguments).
describe('command strings (vshCommandStringGetArg)', () => {
  it('separates arguments by blanks and commands by ; and newlines', () => {
    expect(splitCommandString('list --all')).toEqual([['list', '--all']]);
    expect(splitCommandString(' list\t--all ;dominfo  vm1\nquit')).toEqual([['list', '--all'], ['dominfo', 'vm1'], ['quit']]);
    expect(splitCommandString(';;\n ; ')).toEqual([]);
  });
  it('keeps single quotes literal and takes backslash escapes outside them', () => {
    // virsh "echo 'a b' \"c\\\"d\" e\\ f" prints: a b c"d e f
    expect(splitCommandString(`echo 'a b' "c\\"d" e\\ f`)).toEqual([['echo', 'a b', 'c"d', 'e f']]);
    expect(splitCommandString(`echo 'a\\b' x'y z'w`)).toEqual([['echo', 'a\\b', 'xy zw']]);
    expect(splitCommandString(`echo "a;b" 'c;d'`)).toEqual([['echo', 'a;b', 'c;d']]);
    expect(splitCommandString(`echo '' ""`)).toEqual([['echo', '', '']]);
  });
  it('joins lines at a backslash before the newline', () => {
    expect(splitCommandString('echo a \\\n b')).toEqual([['echo', 'a', 'b']]);
    expect(splitCommandString('echo a\\\nb')).toEqual([['echo', 'ab']]);
  });
  it('comments out the rest of the line from a word starting with #, not from a # inside a word', () => {
    // virsh 'echo a #b c; echo d' prints only "a"; virsh 'echo a#b' prints "a#b".
    expect(splitCommandString('echo a #b c; echo d')).toEqual([['echo', 'a']]);
    expect(splitCommandString('echo a#b')).toEqual([['echo', 'a#b']]);
    expect(splitCommandString('# all of it\necho x')).toEqual([['echo', 'x']]);
    expect(splitCommandString(`echo '#x' "#y"`)).toEqual([['echo', '#x', '#y']]);
  });
  it('refuses a dangling backslash and an open double quote as virsh does', () => {
    expect(usageError('echo a\\')).toEqual(['dangling \\']);
    expect(usageError('echo "a')).toEqual(['missing "']);
    expect(usageError('echo "a;b"')).toBeNull();
  });
});

describe('command lines given as arguments (vshCommandArgvGetArg)', () => {
  it('takes the arguments as one command, untouched', () => {
    expect(argvCommands(['echo', 'a b', ';', '#c'])).toEqual([['echo', 'a b', ';', '#c']]);
  });
  it('makes a line whose first word starts with # a comment (virsh "#foo" bar runs nothing)', () => {
    expect(argvCommands(['#foo', 'bar'])).toEqual([]);
    expect(argvCommands(['#'])).toEqual([]);
    expect(argvCommands([])).toEqual([]);
  });
});
