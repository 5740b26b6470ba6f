/**
 * The error of the in-process SSH client. It is a {@link CommandTransportError}
 * (and so a TransportError), like the errors of the `ssh` program, with the
 * same `failure` kinds, so callers handle both clients alike; it adds what
 * the in-process client knows: the host key involved and the authentication
 * methods tried.
 */
import { brandClass } from '../../errors/brand.js';
import { CommandTransportError, type CommandFailure } from '../command-error.js';

/** A host key the in-process client refused (or was asked about). */
export interface SshHostKeyInfo {
  /** `unknown`, `changed`, `revoked`, `refused` (a verifier or the user said no), or `cert-authority` (only a CA is listed). */
  readonly status: 'unknown' | 'changed' | 'revoked' | 'refused' | 'cert-authority';
  /** `host:port` as connected to. */
  readonly host: string;
  /** The key type the server offered (`ssh-ed25519`, ...). */
  readonly keyType: string;
  /** Its SHA256 fingerprint (`SHA256:...`). */
  readonly fingerprint: string;
  /** The known_hosts line that would trust it. */
  readonly knownHostsLine: string;
  /** The known_hosts file concerned, or null (known hosts given in memory, or none). */
  readonly file: string | null;
  /** For `changed`/`revoked`/`cert-authority`: where the entry concerned is (`file:line`). */
  readonly entry: string | null;
}

/** One authentication method the in-process client tried, and how it went. */
export interface SshAuthAttempt {
  /** `agent`, `privkey`, `password`, `keyboard-interactive` (libvirt's names; `publickey` for OpenSSH's identity files). */
  readonly method: string;
  /** `rejected` (the server said no), `skipped` (not offered by the server, or nothing to try with), `failed` (an error on this side). */
  readonly outcome: 'rejected' | 'skipped' | 'failed';
  /** What happened, in words (never a secret). */
  readonly detail: string;
}

/** Details of an {@link SshTransportError}. */
export interface SshErrorDetail {
  readonly failure: CommandFailure;
  /** `host:port` (the hop where it failed, for jump hosts). */
  readonly endpoint: string;
  readonly hostKey?: SshHostKeyInfo | null;
  readonly authAttempts?: readonly SshAuthAttempt[];
  /** For a remote command that ended: its exit status, signal and stderr. */
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly stderr?: string;
  readonly errno?: string | null;
  readonly cause?: unknown;
}

/**
 * An SSH connection made by the in-process client failed: the handshake,
 * the host key check (`hostKey` says which key and why), the login
 * (`authAttempts` lists each method and its outcome), the remote command
 * (exit status and stderr, as for the `ssh` program), or the connection dropped.
 */
export class SshTransportError extends CommandTransportError {
  /** `host:port` where it failed. */
  readonly endpoint: string;
  /** The host key concerned, for host key failures. */
  readonly hostKey: SshHostKeyInfo | null;
  /** The authentication methods tried, in order. */
  readonly authAttempts: readonly SshAuthAttempt[];

  constructor(message: string, detail: SshErrorDetail) {
    super(message, {
      command: 'ssh2',
      exitCode: detail.exitCode ?? null,
      signal: detail.signal ?? null,
      stderr: detail.stderr ?? '',
      failure: detail.failure,
      errno: detail.errno ?? null,
      ...(detail.cause !== undefined ? { cause: detail.cause } : {}),
    });
    this.name = 'SshTransportError';
    this.endpoint = detail.endpoint;
    this.hostKey = detail.hostKey ?? null;
    this.authAttempts = detail.authAttempts ?? [];
  }
}
brandClass(SshTransportError, 'SshTransportError');

/** `host:port`, IPv6 in brackets. */
export function endpointName(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
