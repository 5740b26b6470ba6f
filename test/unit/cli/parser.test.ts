import { describe, expect, it } from 'vitest';
import { CliError, type CommandSpec } from '../../../src/cli/command.js';
import { ALL_COMMANDS } from '../../../src/cli/main.js';
import { parseGlobal } from '../../../src/cli/shell/global-options.js';
import { parseCommandArgs, parseCommandLine } from '../../../src/cli/shell/parser.js';
import { aliasOpt, argvOpt, DOMAIN, flag, valueOpt } from '../../../src/cli/support/options.js';

/** A command shaped like virsh's domstats/blkiotune mix, for the parser alone. */
const CMD: CommandSpec = {
  name: 'probe',
  group: 'Test',
  help: 'probe',
  options: [DOMAIN, flag('live', 'live'), valueOpt('weight', 'int', 'weight'), valueOpt('cap', 'int', 'cap', { named: true }), argvOpt('rest', 'the rest')],
  async run() {},
};

/** The lines of the usage error `fn` throws. */
function usage(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).usage).toBe(true);
    return [...(err as CliError).lines];
  }
  throw new Error('no error');
}

describe('a command’s options (vshCommandParse)', () => {
  it('takes --name value, --name=value and positional data in the order of the options', () => {
    const o = parseCommandArgs(CMD, ['vm1', '10', 'a', 'b', '--live']);
    expect(o.string('domain')).toBe('vm1');
    expect(o.string('weight')).toBe('10');
    expect(o.list('rest')).toEqual(['a', 'b']);
    expect(o.bool('live')).toBe(true);
    const p = parseCommandArgs(CMD, ['--weight=5', '--domain', 'vm2', '--cap', '7']);
    expect([p.string('domain'), p.string('weight'), p.string('cap')]).toEqual(['vm2', '5', '7']);
  });
  it('fills a positional option skipped over by name with the next data instead', () => {
    const o = parseCommandArgs(CMD, ['--domain', 'vm1', '3', 'x']);
    expect([o.string('domain'), o.string('weight'), o.list('rest')]).toEqual(['vm1', '3', ['x']]);
  });
  it('never fills a --name-only option from data', () => {
    const o = parseCommandArgs(CMD, ['vm1', '1', '2', '3']);
    expect(o.string('cap')).toBeUndefined();
    expect(o.list('rest')).toEqual(['2', '3']);
  });
  it('reads everything after -- as data, options included', () => {
    const o = parseCommandArgs(CMD, ['--', '--live', '4', '--x']);
    expect(o.string('domain')).toBe('--live');
    expect(o.bool('live')).toBe(false);
    expect(o.list('rest')).toEqual(['--x']);
  });
  it('treats a word after -- as an option only when a letter or digit follows', () => {
    expect(parseCommandArgs(CMD, ['-x']).string('domain')).toBe('-x');
    expect(parseCommandArgs(CMD, ['---x']).string('domain')).toBe('---x');
  });
  it('gives virsh’s messages for the mistakes virsh rejects before running anything', () => {
    // virsh -c test:///default dominfo / dominfo a b / dominfo --nope / domstate x --reason=1 / dominfo --domain / setmem x
    expect(usage(() => parseCommandArgs(CMD, []))).toEqual(["command 'probe' requires <domain> option"]);
    expect(usage(() => parseCommandArgs({ ...CMD, options: [DOMAIN] }, ['a', 'b']))).toEqual(["unexpected data 'b'"]);
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--nope']))).toEqual(["command 'probe' doesn't support option --nope"]);
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--live=1']))).toEqual(["invalid '=' after option --live"]);
    expect(usage(() => parseCommandArgs(CMD, ['--domain']))).toEqual(['expected syntax: --domain <string>']);
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--weight']))).toEqual(['expected syntax: --weight <number>']);
    const setmem = ALL_COMMANDS.find((c) => c.name === 'setmem')!;
    expect(usage(() => parseCommandArgs(setmem, ['x']))).toEqual(["command 'setmem' requires --size option"]);
  });
  it('refuses an option given twice, by name or by position, but not an argv option (vshCmddefGetOption)', () => {
    // virsh -c test:///default list --all --all / pool-info default --pool x / domstats a b c
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--live', '--live']))).toEqual(['option --live already seen']);
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--domain', 'x']))).toEqual(['option --domain already seen']);
    expect(usage(() => parseCommandArgs(CMD, ['--weight=1', 'vm', '--weight', '2']))).toEqual(['option --weight already seen']);
    expect(usage(() => parseCommandArgs(CMD, ['vm', '--cap', '1', '--cap=2']))).toEqual(['option --cap already seen']);
    expect(parseCommandArgs(CMD, ['vm', '1', '--rest', 'a', '--rest', 'b', 'c']).list('rest')).toEqual(['a', 'b', 'c']);
    expect(parseCommandArgs(CMD, ['vm', '--help', '--help']).bool('help')).toBe(true);
  });
  it('counts an alias option as the option it stands for', () => {
    const withAlias: CommandSpec = { ...CMD, options: [...CMD.options.slice(0, 4), aliasOpt('raw', 'bool', 'cap=1')] };
    expect(usage(() => parseCommandArgs(withAlias, ['vm', '--raw', '--cap', '2']))).toEqual(['option --cap already seen']);
    expect(usage(() => parseCommandArgs(withAlias, ['vm', '--cap', '2', '--raw']))).toEqual(['option --cap already seen']);
  });
  it('lets help skip unknown options and extra data, and report a repeated option while going on', () => {
    const help = ALL_COMMANDS.find((c) => c.name === 'help')!;
    const errors: string[] = [];
    const parse = (args: string[]): string | undefined => parseCommandArgs(help, args, undefined, (l) => errors.push(l)).string('command');
    expect(parse(['--nope', 'list', 'extra'])).toBe('list');
    expect(errors).toEqual([]);
    expect(parse(['--command', 'list', '--command', 'start'])).toBe('list');
    expect(parse(['list', '--command', 'start'])).toBe('list');
    expect(errors).toEqual(['option --command already seen', 'option --command already seen']);
  });
  it('asks for help instead with --help, even without the required options', () => {
    const o = parseCommandArgs(CMD, ['--help']);
    expect(o.bool('help')).toBe(true);
    expect(o.string('domain')).toBeUndefined();
  });
});

describe('a command line (command name, then options)', () => {
  it('finds the command and turns COMMAND --help into help COMMAND', () => {
    const p = parseCommandLine(ALL_COMMANDS, ['dominfo', '--help']);
    expect(p.cmd.name).toBe('help');
    expect(p.opts.string('command')).toBe('dominfo');
    expect(parseCommandLine(ALL_COMMANDS, ['dominfo', 'vm1']).cmd.name).toBe('dominfo');
  });
  it('refuses an unknown command as a usage error', () => {
    expect(usage(() => parseCommandLine(ALL_COMMANDS, ['nosuch', 'x']))).toEqual(["unknown command: 'nosuch'"]);
  });
  it('rewrites echo’s alias options before parsing (--str, --hi)', () => {
    expect(parseCommandLine(ALL_COMMANDS, ['echo', '--str=x', '--', '--y']).opts.list('string')).toEqual(['x', '--y']);
    expect(parseCommandLine(ALL_COMMANDS, ['echo', '--hi']).opts.list('string')).toEqual(['hello']);
    expect(usage(() => parseCommandLine(ALL_COMMANDS, ['echo', '--hi=x']))).toEqual(["invalid '=' after option --hi"]);
  });
});

describe('virsh’s own options (getopt_long in virshParseArgv)', () => {
  /** The error text a command line's global options give. */
  const fails = (argv: string[]): string[] => {
    try {
      parseGlobal(argv);
    } catch (err) {
      return [...(err as CliError).lines];
    }
    throw new Error('no error');
  };
  it('bundles short options, takes values glued or apart, and stops at the first word', () => {
    const p = parseGlobal(['-qr', '-cqemu:///system', '-k', '7', 'list', '-q']);
    expect(p.global).toMatchObject({ quiet: true, readonly: true, uri: 'qemu:///system', keepaliveInterval: 7 });
    expect(p.rest).toEqual(['list', '-q']);
  });
  it('takes long options abbreviated while unambiguous, with = or apart, and ends them at --', () => {
    const p = parseGlobal(['--conn=test:///x', '--read', '--keepalive-c', '3', '--', '-q']);
    expect(p.global).toMatchObject({ uri: 'test:///x', readonly: true, keepaliveCount: 3, quiet: false });
    expect(p.rest).toEqual(['-q']);
    expect(fails(['--keep', '1'])).toEqual(["unsupported option '--keep'. See --help."]);
  });
  it('reads keepalive values as virStrToLong_i with base 0 and refuses negative ones', () => {
    expect(parseGlobal(['-k', '0x10']).global.keepaliveInterval).toBe(16);
    expect(parseGlobal(['-k', '010']).global.keepaliveInterval).toBe(8);
    expect(fails(['-k', '-1'])).toEqual(['option -k requires a positive integer argument']);
    expect(fails(['--keepalive-interval=x'])).toEqual(['Invalid value for option --keepalive-interval']);
  });
  it('names a missing value and an unknown option as getopt does', () => {
    expect(fails(['-c'])).toEqual(["option '-c'/'--connect' requires an argument"]);
    expect(fails(['-d'])).toEqual(["option '-d'/'--debug' requires an argument"]);
    expect(fails(['-z'])).toEqual(["unsupported option '-z'. See --help."]);
    expect(fails(['--quiet=1'])).toEqual(["unsupported option '-q'. See --help."]);
  });
  it('accepts -d LEVEL (0-4; out of range only warns) and -l FILE as virsh does', () => {
    expect(parseGlobal(['-d', '3', 'list']).global).toMatchObject({ debug: 3, warnings: [] });
    expect(parseGlobal(['-d', '5', 'list']).global).toMatchObject({ debug: null, warnings: ['ignoring debug level 5 out of range [0-4]'] });
    expect(parseGlobal(['--debug=-1', 'list']).global.warnings).toEqual(['ignoring debug level -1 out of range [0-4]']);
    expect(fails(['-d', '3x'])).toEqual(['option -d takes a numeric argument']);
    const p = parseGlobal(['-l', '/tmp/log', '--log=/tmp/log2', 'list']);
    expect(p.global.logFile).toBe('/tmp/log2');
    expect(p.rest).toEqual(['list']);
  });
  it('stops at -h, -v and -V', () => {
    expect(parseGlobal(['-h', '-z']).early).toBe('help');
    expect(parseGlobal(['-v']).early).toBe('version');
    expect(parseGlobal(['-V']).early).toBe('version-long');
  });
});
