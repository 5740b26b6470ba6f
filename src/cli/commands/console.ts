/**
 * `console`: the guest's serial console on the terminal, as virsh 9.0.0's
 * (tools/virsh-domain.c cmdConsole, virsh-console.c virshRunConsole, read
 * for the facts):
 *
 * - a shut-off domain is refused ("The domain is not running"), so is a
 *   standard input that is no terminal;
 * - "Connected to domain 'NAME'" and "Escape character is ^] (Ctrl + ])"
 *   (the escape of `-e`), then the terminal is made raw (no echo, no signal
 *   keys, no output processing) and the console stream opened with
 *   `--devname`, `--force` (VIR_DOMAIN_CONSOLE_FORCE) and `--safe`
 *   (VIR_DOMAIN_CONSOLE_SAFE);
 * - what the guest sends goes to standard output as it comes; what is typed
 *   goes to the guest, except that a read from the terminal whose first byte
 *   is the escape character ends the session (the stream is finished);
 * - the session also ends when the daemon ends the stream (the guest went
 *   away, another client took the console with --force): with the error,
 *   if there was one. The terminal is restored in every case.
 */
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import type { LibvirtStream } from '../../api/streams/libvirt-stream.js';
import { VIR_DOMAIN_CONSOLE_FORCE, VIR_DOMAIN_CONSOLE_SAFE, VIR_DOMAIN_SHUTOFF } from '../../procedures/libvirt-api.gen.js';
import { CliError, type CommandContext, type CommandSpec } from '../command.js';
import { lookupDomain } from '../support/lookup.js';

/** virsh's default escape, as telnet's. */
export const DEFAULT_ESCAPE = '^]';

/** Whether `text` is an escape virsh's `-e` takes: `^` and one of `a-z @-_`, or one character other than `^`. */
export function validEscape(text: string): boolean {
  return (text.length === 2 && text[0] === '^' && /^[a-z@-_]$/.test(text[1])) || (text.length === 1 && text !== '^');
}

/** The byte an escape stands for: `^X` is Ctrl-X. */
export function escapeByte(text: string): number {
  return text[0] === '^' ? text[1].toUpperCase().charCodeAt(0) & 0x1f : text.charCodeAt(0);
}

/** Runs a console session on the terminal until the escape or the stream's end; rejects with the stream's error. */
async function runSession(stream: LibvirtStream, escapeCode: number): Promise<void> {
  const fd = openSync('/proc/self/fd/0', 'r');
  const input = new ReadStream(fd);
  input.setRawMode(true);
  // cfmakeraw also turns output processing off: the guest's bytes reach the terminal unchanged.
  spawnSync('stty', ['-opost'], { stdio: [fd, 'ignore', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let over = false;
      const end = (err?: Error): void => {
        if (over) return;
        over = true;
        input.off('data', onInput);
        if (err) {
          void stream.abort({ timeout: 5000 });
          reject(err);
          return;
        }
        stream.finish({ timeout: 5000 }).then(resolve, (e: unknown) => {
          // The daemon may have closed the stream first (the guest went away): that is an end too.
          if (stream.failure === null) resolve();
          else reject(e);
        });
      };
      const onInput = (chunk: Buffer): void => {
        if (chunk[0] === escapeCode) end();
        else stream.write(chunk);
      };
      input.on('data', onInput);
      input.once('end', () => end(new CliError(['internal error: EOF on stdin'])));
      stream.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      stream.once('end', () => end());
      stream.once('error', (err) => end(err));
    });
  } finally {
    input.setRawMode(false);
    input.destroy();
  }
}

/** The commands of this module. */
export const consoleCommands: readonly CommandSpec[] = [
  {
    name: 'console',
    group: 'Domain Management',
    help: 'connect to the guest console',
    description: 'Connect the virtual serial console for the guest',
    options: [
      { name: 'domain', kind: 'string', positional: true, required: true, help: 'domain name, id or uuid' },
      { name: 'devname', kind: 'string', help: 'character device name' },
      { name: 'force', kind: 'bool', help: 'force console connection (disconnect already connected sessions)' },
      { name: 'safe', kind: 'bool', help: 'only connect if safe console handling is supported' },
    ],
    async run(ctx: CommandContext, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const devname = opts.string('devname') ?? null;
      const flags = (opts.bool('force') ? VIR_DOMAIN_CONSOLE_FORCE : 0) | (opts.bool('safe') ? VIR_DOMAIN_CONSOLE_SAFE : 0);
      let state: number;
      try {
        state = (await ctx.conn.raw.domainGetState(dom, 0)).state;
      } catch (err) {
        throw new CliError(['Unable to get domain status', err instanceof Error ? err.message : String(err)], { cause: err });
      }
      if (state === VIR_DOMAIN_SHUTOFF) throw new CliError(['The domain is not running']);
      if (!process.stdin.isTTY) throw new CliError(['Cannot run interactive console without a controlling TTY']);
      const esc = ctx.escapeChar ?? DEFAULT_ESCAPE;
      if (!ctx.quiet) {
        ctx.print(`Connected to domain '${dom.name}'\nEscape character is ${esc}${esc[0] === '^' ? ` (Ctrl + ${esc[1]})` : ''}\n`);
      }
      let stream: LibvirtStream;
      try {
        stream = await ctx.conn.raw.domainOpenConsole(dom, devname, flags);
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      try {
        await runSession(stream, escapeByte(esc));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
    },
  },
];
