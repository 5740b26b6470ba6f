/**
 * A Cyrus SASL configuration for a private libvirtd: a dir holding `libvirt.conf` (the SASL
 * application config libvirtd reads, found through `SASL_CONF_PATH`) and a sasldb password
 * database, with users made by `saslpasswd2`. Everything is readable by the user the daemon runs
 * as (`lvtest`).
 *
 * Use it with {@link startPrivateDaemon}: `env: sasl.env` and `confOverrides: { auth_unix_rw: '"sasl"' }`.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chownToTestUser, HarnessError, run, startPrivateDaemon, type PrivateDaemon, type PrivateDaemonOptions } from './daemon.js';

/** saslpasswd2 from Debian's sasl2-bin (installed by harness/install.sh). */
export const SASLPASSWD2 = '/usr/sbin/saslpasswd2';

/** Options for {@link createSaslConfig}. */
export interface SaslConfigOptions {
  /** The `mech_list` (Cyrus names, any case; default `['scram-sha-256']`). */
  mechanisms?: string[];
  /** Users to create: name → password. */
  users?: Record<string, string>;
  /** Parent dir (default `os.tmpdir()`, which must be reachable by lvtest). */
  baseDir?: string;
}

/** A SASL config dir for a private daemon. */
export interface SaslConfig {
  /** The dir (`SASL_CONF_PATH`). */
  readonly dir: string;
  /** `<dir>/libvirt.conf`. */
  readonly confPath: string;
  /** `<dir>/passwd.db`, the sasldb. */
  readonly dbPath: string;
  /** Environment for the daemon: `{ SASL_CONF_PATH: dir }`. */
  readonly env: Record<string, string>;
  /** Creates (or changes the password of) a user in the sasldb, realm-less, for the `libvirt` app. */
  addUser(name: string, password: string): Promise<void>;
  /** Removes the dir. */
  remove(): void;
}

/**
 * Writes `libvirt.conf` (`mech_list`, `sasldb_path`) into a fresh dir and creates the users.
 * The dir and its files belong to lvtest (when running as root), mode 0755/0644: only test
 * passwords live there.
 */
export async function createSaslConfig(opts: SaslConfigOptions = {}): Promise<SaslConfig> {
  const base = opts.baseDir ?? process.env.LIBVIRT_TEST_TMPDIR ?? os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'lvrpc-sasl-'));
  fs.chmodSync(dir, 0o755);
  chownToTestUser(dir);
  const confPath = path.join(dir, 'libvirt.conf');
  const dbPath = path.join(dir, 'passwd.db');
  const mechs = opts.mechanisms ?? ['scram-sha-256'];
  fs.writeFileSync(confPath, `mech_list: ${mechs.join(' ')}\nsasldb_path: ${dbPath}\n`, { mode: 0o644 });
  chownToTestUser(confPath);

  const addUser = async (name: string, password: string): Promise<void> => {
    const r = await run(SASLPASSWD2, ['-p', '-c', '-a', 'libvirt', '-f', dbPath, name], {
      timeoutMs: 10_000,
      input: password,
    });
    if (r.code !== 0) {
      throw new HarnessError('HARNESS_SETUP', `saslpasswd2 for user '${name}' failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim()}`);
    }
    fs.chmodSync(dbPath, 0o644);
    chownToTestUser(dbPath);
  };
  for (const [name, password] of Object.entries(opts.users ?? {})) await addUser(name, password);

  return {
    dir,
    confPath,
    dbPath,
    env: { SASL_CONF_PATH: dir },
    addUser,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The text of a libvirt `auth.conf` giving `username`/`password` for `host` (default `localhost`). */
export function authConfText(cred: { authname: string; password: string }, host = 'localhost'): string {
  return `[credentials-test]\nauthname=${cred.authname}\npassword=${cred.password}\n\n[auth-libvirt-${host}]\ncredentials=test\n`;
}

/** The SASL user the harness itself logs in as for its readiness check (`virsh version`). */
export const HARNESS_SASL_USER = 'lvrpc-harness';

/** Options for {@link startSaslDaemon}. */
export interface SaslDaemonOptions extends SaslConfigOptions {
  /** More daemon options (`confOverrides` are merged over `auth_unix_rw = "sasl"`). */
  daemon?: PrivateDaemonOptions;
}

/** A private daemon whose unix socket asks for SASL, with its SASL config. */
export interface SaslDaemon {
  readonly daemon: PrivateDaemon;
  readonly sasl: SaslConfig;
  /** An auth.conf (`[auth-libvirt-default]`) for {@link HARNESS_SASL_USER}, readable by anyone. */
  readonly harnessAuthFile: string;
  /** Stops the daemon and removes the SASL dir. */
  stop(): Promise<void>;
}

/**
 * Starts a private daemon with `auth_unix_rw = "sasl"` and the SASL config of `opts`.
 *
 * The harness's readiness check runs `virsh version` on the unix socket, which now needs
 * credentials: a user {@link HARNESS_SASL_USER} with a random password is added and
 * `LIBVIRT_AUTH_FILE` points virsh at an auth.conf for it while the daemon starts (the variable
 * is restored afterwards; virsh is the only reader during that time).
 */
export async function startSaslDaemon(opts: SaslDaemonOptions = {}): Promise<SaslDaemon> {
  const sasl = await createSaslConfig(opts);
  const harnessPassword = randomBytes(12).toString('base64url');
  await sasl.addUser(HARNESS_SASL_USER, harnessPassword);
  const harnessAuthFile = path.join(sasl.dir, 'harness-auth.conf');
  fs.writeFileSync(harnessAuthFile, authConfText({ authname: HARNESS_SASL_USER, password: harnessPassword }, 'default'), {
    mode: 0o644,
  });
  const saved = process.env.LIBVIRT_AUTH_FILE;
  process.env.LIBVIRT_AUTH_FILE = harnessAuthFile;
  let daemon: PrivateDaemon;
  try {
    daemon = await startPrivateDaemon({
      label: 'sasl',
      ...opts.daemon,
      env: { ...opts.daemon?.env, ...sasl.env },
      confOverrides: { auth_unix_rw: '"sasl"', ...opts.daemon?.confOverrides },
    });
  } catch (e) {
    sasl.remove();
    throw e;
  } finally {
    if (saved === undefined) delete process.env.LIBVIRT_AUTH_FILE;
    else process.env.LIBVIRT_AUTH_FILE = saved;
  }
  return {
    daemon,
    sasl,
    harnessAuthFile,
    stop: async () => {
      await daemon.stop();
      sasl.remove();
    },
  };
}
