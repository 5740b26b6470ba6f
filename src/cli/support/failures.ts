/**
 * How a tsvirsh command fails, as virsh reports it (tools/vsh.c vshError,
 * vshReportError): virsh's own lines, printed as they happen, then libvirt's
 * last error, printed when the command ends; or nothing at all when virsh
 * returns false without an error set.
 */
import { LibvirtError } from '../../rpc/errors.js';
import { CliError } from '../command.js';

/**
 * A failed command: virsh's own messages (vshError, printed as they happen)
 * followed by libvirt's last error, which virsh reports when the command
 * ends (vshReportError), so lines added later still come before it.
 */
export class VshFailure extends CliError {
  constructor(
    readonly own: readonly string[],
    readonly libvirt: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(libvirt === null ? [...own] : [...own, libvirt], options);
    this.name = 'VshFailure';
  }

  /** The same failure with more of virsh's own lines after the ones it has. */
  plus(...more: string[]): VshFailure {
    return new VshFailure([...this.own, ...more], this.libvirt, { cause: this.cause });
  }
}

/** Fails without a message, as virsh does when a value it looked for is missing. */
export class SilentFailure extends CliError {
  constructor() {
    super([]);
    this.name = 'SilentFailure';
  }
}

/** A failure with nothing more to say: virsh returns false with no error set, and prints nothing. */
export function silentFailure(): CliError {
  return new SilentFailure();
}

/** libvirt's message for a failure (a daemon error's text). */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `own` lines, then the daemon's error as virsh's closing report. */
export function vshFail(own: string | readonly string[], cause: unknown): VshFailure {
  if (cause instanceof VshFailure) return new VshFailure([...cause.own, ...(typeof own === 'string' ? [own] : own)], cause.libvirt, { cause });
  return new VshFailure(typeof own === 'string' ? [own] : own, messageOf(cause), { cause });
}

/** The daemon's error alone, as virsh reports a failed call at the end of a command (vshReportError); a CliError as it is. */
export function daemonError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  return new CliError([messageOf(err)], { cause: err });
}

/**
 * Runs a daemon call; on a daemon error, virsh's `own` message(s) then the
 * daemon's error. Anything else (a lost connection) passes as it is.
 */
export async function orFail<T>(own: string | readonly string[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof LibvirtError)) throw err;
    throw vshFail(own, err);
  }
}

/**
 * Runs a call whose failure virsh reports with the error's message alone,
 * after `message` when given. A CliError passes as it is.
 */
export async function call<T>(fn: () => Promise<T>, message?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw message !== undefined ? vshFail(message, err) : daemonError(err);
  }
}

/** True for a daemon error with this `virErrorNumber` name. */
export function isLibvirtError(err: unknown, code: string): boolean {
  return err instanceof LibvirtError && err.code === code;
}
