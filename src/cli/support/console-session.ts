/**
 * A console session on the terminal, as virsh 9.0.0 runs one for `console`
 * and for `start --console` / `create --console` (tools/virsh-domain.c
 * cmdRunConsole, virsh-console.c virshRunConsole, read for the facts):
 *
 * - a shut-off domain is refused ("The domain is not running"), so is a
 *   standard input that is no terminal;
 * - "Connected to domain 'NAME'" and "Escape character is ^] (Ctrl + ])"
 *   (the escape of `-e`), then the terminal is made raw (no echo, no signal
 *   keys, no output processing) and the console stream opened with the
 *   device name and flags given;
 * - what the guest sends goes to standard output as it comes; what is typed
 *   goes to the guest, except that a read from the terminal whose first byte
 *   is the escape character ends the session (the stream is finished);
 * - the session also ends when the daemon ends the stream (the guest went
 *   away, another client took the console with --force): with the error,
 *   if there was one. The terminal is restored in every case.
 *
 * The terminal modules are loaded when a session starts, not with the
 * commands that may start one.
 */
import type { LibvirtStream } from '../../api/streams/libvirt-stream.js';
import { VIR_DOMAIN_SHUTOFF } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { CliError, type CommandContext } from '../command.js';
import { VshFailure, vshFail } from './failures.js';

/** virsh's default escape, as telnet's. */
export const DEFAULT_ESCAPE = '^]';

/** The byte an escape stands for: `^X` is Ctrl-X. */
export function escapeByte(text: string): number {
  return text[0] === '^' ? text[1].toUpperCase().charCodeAt(0) & 0x1f : text.charCodeAt(0);
}

/** A failure of the session itself: libvirt's error alone (virsh reports it when the command fails), none of virsh's own lines. */
function sessionFailure(err: unknown): VshFailure {
  if (err instanceof VshFailure) return err;
  const message = err instanceof CliError ? err.lines.join('; ') : err instanceof Error ? err.message : String(err);
  return new VshFailure([], message, { cause: err });
}

/**
 * Attaches the terminal to the domain's console (`devname`, or the first
 * console when null; `flags` are VIR_DOMAIN_CONSOLE_*) until the escape or
 * the stream's end, with virsh's checks and messages (cmdRunConsole).
 * Fails with a {@link VshFailure}: virsh's own lines (printed as they
 * happen) apart from libvirt's error (printed when the command fails), since
 * `create --console` prints the first and never the second.
 */
export async function runConsole(ctx: CommandContext, dom: RemoteNonnullDomain, devname: string | null, flags: number): Promise<void> {
  let state: number;
  try {
    state = (await ctx.conn.raw.domainGetState(dom, 0)).state;
  } catch (err) {
    throw vshFail('Unable to get domain status', err);
  }
  if (state === VIR_DOMAIN_SHUTOFF) throw new VshFailure(['The domain is not running']);
  if (!process.stdin.isTTY) throw new VshFailure(['Cannot run interactive console without a controlling TTY']);
  const esc = ctx.escapeChar ?? DEFAULT_ESCAPE;
  if (!ctx.quiet) {
    ctx.print(`Connected to domain '${dom.name}'\nEscape character is ${esc}${esc[0] === '^' ? ` (Ctrl + ${esc[1]})` : ''}\n`);
  }
  let stream: LibvirtStream;
  try {
    stream = await ctx.conn.raw.domainOpenConsole(dom, devname, flags);
  } catch (err) {
    throw sessionFailure(err);
  }
  try {
    await runSession(stream, escapeByte(esc));
  } catch (err) {
    throw sessionFailure(err);
  }
}

/** Runs a console session on the terminal until the escape or the stream's end; rejects with the stream's error. */
async function runSession(stream: LibvirtStream, escapeCode: number): Promise<void> {
  const [{ spawnSync }, { openSync }, { ReadStream }] = await Promise.all([import('node:child_process'), import('node:fs'), import('node:tty')]);
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
