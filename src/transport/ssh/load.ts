/**
 * Loads the `ssh2` package on first use, with a dynamic `import()`: only a
 * connection over an in-process SSH transport pays for it; importing
 * libvirt-rpc, or using the unix, tcp, tls or ext transports, never loads it.
 */
import type * as Ssh2 from 'ssh2';
import { UnsupportedError } from '../../rpc/errors.js';

/** The `ssh2` module. */
export type Ssh2Module = typeof Ssh2;

let loading: Promise<Ssh2Module> | null = null;

/**
 * The `ssh2` module (loaded once).
 *
 * @throws UnsupportedError when the package cannot be loaded.
 */
export function loadSsh2(): Promise<Ssh2Module> {
  loading ??= import('ssh2').then(
    (mod) => (mod as unknown as { default?: Ssh2Module }).default ?? (mod as unknown as Ssh2Module),
    (err: unknown) => {
      loading = null;
      throw new UnsupportedError(
        `the in-process SSH client needs the "ssh2" package, which could not be loaded (${(err as Error)?.message ?? String(err)}): install it (npm install ssh2)`,
        { cause: err },
      );
    },
  );
  return loading;
}
