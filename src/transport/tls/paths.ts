/**
 * Where a TLS client's CA, CRL, certificate and key files are, as libvirt's
 * client looks for them (virnettlsconfig.c, read for the facts): `pkipath=DIR`,
 * else `~/.pki/libvirt/` for a non-root user (the CA and the CRL each on its
 * own, certificate and key only as a pair), else the system-wide files.
 */
import { existsSync } from 'node:fs';
import { buildPath, effectiveUid, userHomeDir } from '../config.js';

/** libvirt's system-wide CA certificate. */
export const LIBVIRT_SYSTEM_CACERT = '/etc/pki/CA/cacert.pem';
/** libvirt's system-wide CA revocation list. */
export const LIBVIRT_SYSTEM_CACRL = '/etc/pki/CA/cacrl.pem';
/** libvirt's system-wide client certificate. */
export const LIBVIRT_SYSTEM_CLIENTCERT = '/etc/pki/libvirt/clientcert.pem';
/** libvirt's system-wide client private key. */
export const LIBVIRT_SYSTEM_CLIENTKEY = '/etc/pki/libvirt/private/clientkey.pem';

/** The files a TLS client uses ({@link locateTlsCredentials}). */
export interface TlsCredentialPaths {
  /** CA certificate(s), PEM. Must exist. */
  readonly caCert: string;
  /** CA revocation list, PEM. Used when it exists. */
  readonly caCrl: string;
  /** Client certificate, PEM. */
  readonly clientCert: string;
  /** Client private key, PEM. */
  readonly clientKey: string;
}

/** Where {@link locateTlsCredentials} takes its outside facts from. */
export interface TlsLocateEnv {
  /** Environment variables (default `process.env`): `HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid (default `process.geteuid()`); non-root clients look in `~/.pki/libvirt` first. */
  readonly uid?: number;
  /** Home directory (default `$HOME`). */
  readonly homeDir?: string;
  /** Whether a file exists (default: `fs.existsSync`). */
  readonly exists?: (path: string) => boolean;
}

/**
 * Picks the CA, CRL, client certificate and key files as libvirt's TLS client
 * does (see the module comment). Pure apart from `exists`.
 */
export function locateTlsCredentials(pkiPath: string | null, env: TlsLocateEnv = {}, exists: (p: string) => boolean = defaultExists): TlsCredentialPaths {
  const has = env.exists ?? exists;
  if (pkiPath !== null) {
    return {
      caCert: buildPath(pkiPath, 'cacert.pem'),
      caCrl: buildPath(pkiPath, 'cacrl.pem'),
      clientCert: buildPath(pkiPath, 'clientcert.pem'),
      clientKey: buildPath(pkiPath, 'clientkey.pem'),
    };
  }
  let caCert: string | null = null;
  let caCrl: string | null = null;
  let clientCert: string | null = null;
  let clientKey: string | null = null;
  if (effectiveUid(env) !== 0) {
    const dir = buildPath(userHomeDir(env), '.pki', 'libvirt');
    const ca = buildPath(dir, 'cacert.pem');
    const crl = buildPath(dir, 'cacrl.pem');
    const cert = buildPath(dir, 'clientcert.pem');
    const key = buildPath(dir, 'clientkey.pem');
    if (has(ca)) caCert = ca;
    if (has(crl)) caCrl = crl;
    if (has(cert) && has(key)) {
      clientCert = cert;
      clientKey = key;
    }
  }
  return {
    caCert: caCert ?? LIBVIRT_SYSTEM_CACERT,
    caCrl: caCrl ?? LIBVIRT_SYSTEM_CACRL,
    clientCert: clientCert ?? LIBVIRT_SYSTEM_CLIENTCERT,
    clientKey: clientKey ?? LIBVIRT_SYSTEM_CLIENTKEY,
  };
}

function defaultExists(p: string): boolean {
  return existsSync(p);
}
