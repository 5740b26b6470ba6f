/**
 * The error of the command transports (`ssh` and `+ext` programs), in a module of its own so
 * that the root entry can export it without loading `node:child_process`.
 */
import { brandClass } from '../errors/brand.js';
import { TransportError } from '../rpc/errors.js';

/** What a failed command most likely means ({@link CommandTransportError.failure}). */
export type CommandFailure =
  /** ssh did not accept the server's host key (unknown or changed). */
  | 'host-key'
  /** ssh could not log in (`Permission denied`). */
  | 'auth'
  /** ssh could not reach the server. */
  | 'unreachable'
  /** The SSH connection dropped. */
  | 'disconnected'
  /** The program, or the command run on the far side (nc, virt-ssh-helper), does not exist. */
  | 'command-missing'
  /** The far side could not connect to the daemon's socket. */
  | 'daemon-socket'
  /** In-process SSH: the SSH handshake failed (no common algorithm, not an SSH server, ...). */
  | 'handshake'
  /** In-process SSH: a credential could not be had (no callback, the callback failed, a wrong key passphrase). */
  | 'credentials'
  /** In-process SSH: the configuration cannot be used (a bad ProxyJump, ProxyCommand, an unreadable key file). */
  | 'config'
  /** Something else: read the message. */
  | 'other';

/**
 * A command transport ended or failed: the program could not be run, or it
 * exited while the connection was in use. It is a {@link TransportError}
 * (code `RPC_TRANSPORT`); the message carries the exit status and stderr.
 */
export class CommandTransportError extends TransportError {
  /** The program run (argv[0]). */
  readonly command: string;
  /** Exit status, or null (killed by a signal, or not started). */
  readonly exitCode: number | null;
  /** The signal that ended it, or null. */
  readonly signal: string | null;
  /** What it wrote on stderr (the last 64 KiB). */
  readonly stderr: string;
  /** What the failure most likely means. */
  readonly failure: CommandFailure;

  constructor(
    message: string,
    detail: {
      command: string;
      exitCode: number | null;
      signal: string | null;
      stderr: string;
      failure: CommandFailure;
      errno?: string | null;
      cause?: unknown;
    },
  ) {
    super(message, detail.errno ?? null, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'CommandTransportError';
    this.command = detail.command;
    this.exitCode = detail.exitCode;
    this.signal = detail.signal;
    this.stderr = detail.stderr;
    this.failure = detail.failure;
  }
}
brandClass(CommandTransportError, 'CommandTransportError');
