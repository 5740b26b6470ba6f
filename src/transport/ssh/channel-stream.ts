/**
 * The byte stream of the in-process SSH transports: the exec channel that
 * runs libvirt's remote command (netcat or virt-ssh-helper), as a Duplex.
 *
 * As with libvirt's libssh/libssh2 sessions (virNetSSHChannelRead: "Remote
 * command terminated with non-zero code") and the `ssh` program here, the
 * remote command's stderr is collected, and when the channel ends with a
 * non-zero exit status or with something on stderr, the stream fails with an
 * {@link SshTransportError} carrying the status, stderr and a hint
 * (`command-missing` for exit 127, `daemon-socket` when the socket cannot be
 * reached, ...). Destroying the stream closes the channel and the SSH
 * connection (and any jump hosts' connections).
 */
import { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { describeCommandExit, type CommandFailure } from '../command.js';
import { SshTransportError } from './errors.js';

const STDERR_KEEP = 64 * 1024;

/** A Duplex over an SSH exec channel (see the module comment). */
export class SshChannelStream extends Duplex {
  private stderrText = '';
  private exit: { code: number | null; signal: string | null } | null = null;
  private connectionError: Error | null = null;
  private ended = false;

  /** @internal Made by the in-process dialer. */
  constructor(
    private readonly channel: ClientChannel,
    /** Every SSH connection the channel depends on, innermost last. */
    private readonly clients: readonly Client[],
    private readonly label: string,
    private readonly endpoint: string,
    private readonly remoteSocket: string | null,
  ) {
    super({ allowHalfOpen: false });
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.stderr.setEncoding('utf8');
    channel.stderr.on('data', (text: string) => {
      this.stderrText = (this.stderrText + text).slice(-STDERR_KEEP);
    });
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exit = { code: code ?? null, signal: signal ?? null };
    });
    channel.on('error', (err: Error) => {
      this.connectionError ??= err;
    });
    channel.once('close', () => this.finish());
    for (const c of clients) {
      c.on('error', (err: Error) => {
        this.connectionError ??= err;
      });
      c.once('close', () => setImmediate(() => this.finish()));
    }
  }

  /** What the remote command wrote on stderr so far (the last 64 KiB). */
  get stderr(): string {
    return this.stderrText;
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.channel.destroyed || !this.channel.writable) {
      cb(); // the channel is going away: finish() reports why
      return;
    }
    this.channel.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.channel.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.ended = true;
    this.closeAll();
    cb(err);
  }

  private closeAll(): void {
    try {
      this.channel.close();
    } catch {
      /* gone */
    }
    for (const c of [...this.clients].reverse()) {
      try {
        c.end();
      } catch {
        /* gone */
      }
    }
  }

  /** The channel (or a connection under it) closed: end normally or fail with what is known. */
  private finish(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    // The exit status and the last stderr bytes arrive before the close; let queued events run.
    setImmediate(() => {
      const exit = this.exit;
      const stderr = this.stderrText;
      if (exit !== null && exit.code === 0 && stderr.trim() === '' && this.connectionError === null) {
        this.push(null);
        this.closeAll();
        return;
      }
      let message: string;
      let failure: CommandFailure;
      if (exit === null) {
        const why = this.connectionError?.message ?? 'the SSH connection was closed';
        message = `the SSH connection to ${this.endpoint} was closed before the remote command ended (${why})${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
        failure = 'disconnected';
      } else {
        ({ message, failure } = describeCommandExit({
          label: `the remote command on ${this.label}`,
          exitCode: exit.code,
          signal: exit.signal,
          stderr,
          remoteSocket: this.remoteSocket,
        }));
      }
      this.closeAll();
      this.destroy(
        new SshTransportError(`End of file while reading data: ${message}`, {
          failure,
          endpoint: this.endpoint,
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stderr,
          ...(this.connectionError ? { cause: this.connectionError } : {}),
        }),
      );
    });
  }
}
