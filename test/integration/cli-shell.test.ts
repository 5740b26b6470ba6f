/**
 * tsvirsh against virsh for virsh's own commands (echo, pwd, cd, connect,
 * quit/exit, `COMMAND --help`) in argument lists, command strings and the
 * stdin shell, and for the command-line parsing around them (`--`, bundled
 * and abbreviated global options). The same command lines on the same
 * private test-driver state give the same stdout, stderr and exit status;
 * nothing is normalised (no output here depends on time).
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientEnv, VIRSH } from '../../harness/daemon.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { tsvirshArgv } from './terminal.js';
import { both, ours } from './virsh-diff.js';

let uri = '';
let other = '';
let socket = '';

beforeAll(async () => {
  uri = await privateTestUri();
  other = await privateTestUri();
  socket = (await harnessDaemon()).socketPath;
});

/** `@` stands for the test URI, `%` for the other one, `$` for the daemon's socket. */
const fill = (a: string): string => a.replace(/@/g, uri).replace(/%/g, other).replace(/\$/g, socket);

/** Command lines run with `-c URI` (one argument is a command string). */
const WITH_URI: string[][] = [
  // echo
  ['echo', 'hello', 'world'],
  ['echo hello world'],
  ['echo'],
  ['echo', '--split', 'a,b,,c', 'd'],
  ['echo', '--split', ''],
  ['echo', '--split', 'a,', ',b', 'a,,,b'],
  ['echo', '--err', 'hi', 'there'],
  ['echo', '--err', ''],
  ['echo', '--shell', 'a b', "c'd", 'x$y', 'plain', '', 'a~', 'b%', 'e@f'],
  ['echo', '--xml', '<a&b>', '\'q"'],
  ['echo', '--shell', '--xml', 'a'],
  ['echo', '--xml', '--split', 'a'],
  ['echo', '--str', 'x', '--hi'],
  ['echo', '--hi=x'],
  ['echo', '--str=a', 'b'],
  ['echo', '--', '--foo'],
  ['echo', 'a ', 'b'],
  ['echo', '--foo'],
  ['echo', '--string'],
  ['echo', '--shell=1'],
  ['echo', '---x'],
  ['echo', 'a', '--', '--b', '--', 'c'],
  ['echo a; echo b'],
  ['echo "a b" \'c d\' e\\ f'],
  // pwd, cd (only the shell may change directory), quit and exit
  ['pwd'],
  ['pwd', 'x'],
  ['cd', '/tmp'],
  ['cd /tmp; pwd'],
  ['quit'],
  ['exit'],
  ['exit', '3'],
  ['quit', '--foo'],
  ['echo a; quit; echo b'],
  ['domstate nope; quit'],
  ['domstate nope; exit; domstate test'],
  // `--` and options
  ['domstate', '--', 'test'],
  ['domstate', '--', '--reason'],
  ['domstate', 'test', '--', '--reason'],
  ['domstate', '--help=x'],
  ['domstate', '--bogus', '--help'],
  ['event', '--all', '--timeout'],
  // an option given twice (vshCmddefGetOption): by name, by position then name, an alias and its option; argv options repeat
  ['domstate', 'test', '--reason', '--reason'],
  ['domstate', 'test', '--domain', 'test'],
  ['domstate', '--domain=test', '--domain', 'test'],
  ['domstate test; domstate --reason --reason test'],
  ['echo', '--shell', 'a', '--shell'],
  ['echo', '--string', 'a', '--string', 'b', 'c'],
  ['echo', '--hi', '--str', 'x'],
  ['domstate', 'test', '--reason', '--reason', '--help'],
  // help skips options it lacks and spare data, and reports a repeated option while going on
  ['help', '--bogus', 'echo'],
  ['help', 'echo', 'extra'],
  ['help', '--command', 'echo', '--command', 'pwd'],
  ['help', 'pwd', '--command', 'echo'],
  // connect: another URI, the same one again (fresh state), failures keep the old URI
  ['connect %; uri'],
  ['connect; uri'],
  ['destroy test; connect; domstate test'],
  ['destroy test; connect @; domstate test'],
  ['connect test+unix:///nonexistent/node.xml?socket=$; uri; domstate test'],
  ['destroy test; connect test+unix:///nonexistent/node.xml?socket=$; domstate test'],
  ['connect', 'a', 'b'],
  ['connect --name % --readonly; uri; destroy test'],
  ['connect --readonly; destroy test'],
  ['connect --readonly; destroy test; connect; destroy test'],
  ['connect --readonly %; connect @; destroy test'],
  ['connect --readonly; connect test+unix:///nonexistent/node.xml?socket=$; destroy test'],
];

/** Whole command lines, global options included. */
const GLOBAL: string[][] = [
  ['-qr', '-c', '@', 'domid', 'test'],
  ['-qc@', 'domid', 'test'],
  ['-rqc', '@', 'domid test; destroy test'],
  ['--conn=@', '-q', 'domid', 'test'],
  ['--conn', '@', '--', 'domid', 'test'],
  ['--read', '-c', '@', 'destroy', 'test'],
  ['-r', '-c', '@', 'connect; destroy test'],
  ['-r', '-c', '@', 'connect @; destroy test'],
  ['-k', '0x10', '-c', '@', 'domid', 'test'],
  ['-K', '010', '-c', '@', 'domid', 'test'],
  ['-kabc', 'list'],
  ['-k', '-1', 'list'],
  ['--keepalive-count=x', 'list'],
  ['-K99999999999', 'list'],
  ['--keep', '1', 'list'],
  ['--quiet=1', 'list'],
  ['-qx', 'list'],
  ['-x'],
  ['--bogus'],
  ['-c'],
  ['--connect'],
  ['-c', '@', 'bogus; echo x'],
  ['-c', '@', 'echo "x'],
  ['-c', '@', 'echo x\\'],
  ['-c', 'test+unix:///nonexistent/node.xml?socket=$', 'echo hi'],
  ['-c', 'test+unix:///nonexistent/node.xml?socket=$', 'quit'],
  ['-c', 'test+unix:///nonexistent/node.xml?socket=$', 'bogus'],
];

/** Shell scripts on stdin (`-c URI` added), each with the options before it. */
const SCRIPTS: [string, string[], string][] = [
  ['cd, pwd and echo', [], 'cd /tmp\npwd\ncd\npwd\ncd /nonexistent\ncd /etc/hostname\necho hi --err\necho a b\npwd\n'],
  ['quit succeeds after a failure', [], 'domstate nope\nquit\necho never\n'],
  ['exit', ['-q'], 'echo a\nexit\necho b\n'],
  ['connect to another URI and back', [], 'connect %\nuri\nconnect @\nuri\n'],
  ['a failed connect keeps the URI', [], 'destroy test\nconnect test+unix:///nonexistent/node.xml?socket=$\nuri\ndomstate test\n'],
  ['connect --readonly changes the prompt', [], 'connect --readonly %\ndestroy test\nconnect @\ndestroy test\n'],
  ['read-only from the start', ['-r'], 'domid test\nconnect\ndomid test\n'],
  ['several per line', [], 'echo a; echo b\n  pwd ; echo "c d"\n# comment\necho --shell "x y"\n'],
  ['a parse error on one line', [], 'echo "a\necho b\n'],
];

describe('virsh’s own commands match virsh', () => {
  it.each(WITH_URI.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args.map(fill)]);
    expect(a).toEqual(b);
  });

  it.each(GLOBAL.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(args.map(fill));
    expect(a).toEqual(b);
  });

  it.each(SCRIPTS)('shell: %s', async (_label, opts, script) => {
    const [a, b] = await both([...opts, '-c', uri], fill(script));
    expect(a).toEqual(b);
  });

  it('the shell puts the working directory back when it ends', async () => {
    const before = process.cwd();
    const [a, b] = await both(['-c', uri], 'cd /\npwd\n');
    expect(a).toEqual(b);
    expect(a.stdout).toContain('virsh # pwd\n/\n');
    expect(process.cwd()).toBe(before);
  });

  it('COMMAND --help is help COMMAND', async () => {
    for (const name of ['echo', 'domstate', 'connect', 'help']) {
      const [viaOption, viaHelp] = await Promise.all([ours(['-c', uri, name, '--help']), ours(['-c', uri, 'help', name])]);
      expect(viaOption).toEqual(viaHelp);
      expect(viaOption.status).toBe(0);
      expect(viaOption.stdout).toContain(`${name} - `);
    }
  });

  it('the tsvirsh process reads its shell from a pipe after connecting, as virsh does', () => {
    // In process, the shell is given its input; the executable makes a readline interface on
    // standard input, which must not lose the lines that arrive while it connects.
    const input = 'echo hi\nlist --all\nquit\n';
    const run = (argv: string[]) => {
      const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', env: clientEnv(), timeout: 30_000 });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status };
    };
    const a = run(tsvirshArgv('-c', uri));
    expect(a).toEqual(run([VIRSH, '-c', uri]));
    expect(a.stdout).toContain('virsh # echo hi\nhi\n');
  });
});
