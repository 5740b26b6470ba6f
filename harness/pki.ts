/**
 * Test certificates for the TLS transport, made with the real `openssl` program: certificate
 * authorities, server certificates (for 127.0.0.1 / localhost by default) and client
 * certificates, laid out the way libvirt looks for them, and readable by the `lvtest` user the
 * private daemons run as.
 *
 * Every certificate is issued with `openssl ca` (so validity dates can be set, for expired or
 * not-yet-valid certificates), with the extensions libvirt's sanity checks want: CAs with
 * `basicConstraints=critical,CA:TRUE` and `keyUsage=critical,keyCertSign,cRLSign`; servers and
 * clients with `CA:FALSE`, `keyUsage=digitalSignature,keyEncipherment` and the
 * `serverAuth` / `clientAuth` extended key usage. Keys are RSA 2048.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chownToTestUser, HarnessError, run } from './daemon.js';

/** The openssl binary. */
export const OPENSSL = '/usr/bin/openssl';

const OPENSSL_TIMEOUT_MS = 30_000;

async function openssl(args: string[], cwd?: string): Promise<string> {
  const r = await run(OPENSSL, args, { timeoutMs: OPENSSL_TIMEOUT_MS, cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  if (r.code !== 0) {
    throw new HarnessError(
      'HARNESS_SETUP',
      `openssl ${args.join(' ')} ${r.timedOut ? `timed out after ${OPENSSL_TIMEOUT_MS} ms` : `failed (code ${r.code})`}: ${r.stderr.trim() || r.error?.message || ''}`,
    );
  }
  return r.stdout;
}

/** openssl's GeneralizedTime: `YYYYMMDDHHMMSSZ`. */
function asn1Time(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** A key and certificate on disk. */
export interface CertFiles {
  /** PEM certificate. */
  readonly certPath: string;
  /** PEM private key (mode 0600, owned by lvtest). */
  readonly keyPath: string;
}

/** Options of {@link CertificateAuthority.issue}. */
export interface IssueOptions {
  /** `server` (serverAuth) or `client` (clientAuth). */
  readonly kind: 'server' | 'client';
  /** Subject common name (default `127.0.0.1` for servers, `libvirt-rpc test client` for clients). */
  readonly commonName?: string;
  /** subjectAltName DNS names (servers default: `localhost`). */
  readonly dnsNames?: readonly string[];
  /** subjectAltName IP addresses (servers default: `127.0.0.1`). */
  readonly ipAddresses?: readonly string[];
  /** Start of validity (default: an hour ago). */
  readonly notBefore?: Date;
  /** End of validity (default: 30 days from now). */
  readonly notAfter?: Date;
  /** Where to write the files (created). */
  readonly outDir: string;
  /** File name of the certificate (default `servercert.pem` / `clientcert.pem`). */
  readonly certName?: string;
  /** File name of the key (default `serverkey.pem` / `clientkey.pem`). */
  readonly keyName?: string;
  /** Mark the certificate a CA (to test libvirt's basic-constraints check). Default false. */
  readonly ca?: boolean;
}

/** A certificate authority made by {@link createCa}. */
export interface CertificateAuthority extends CertFiles {
  /** Its common name. */
  readonly name: string;
  /** Its working dir (openssl ca database, serial). */
  readonly dir: string;
  /** Issues a certificate signed by this CA. */
  issue(options: IssueOptions): Promise<CertFiles>;
}

/** Makes a dir (and parents) owned by lvtest, mode 0755. */
function mkdirForTestUser(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  chownToTestUser(dir);
}

/** Writes a file owned by lvtest with `mode`. */
function chownFile(p: string, mode: number): void {
  fs.chmodSync(p, mode);
  chownToTestUser(p);
}

/**
 * Creates a self-signed CA named `name` in `dir` (`cacert.pem`, `cakey.pem`, and the `openssl ca`
 * database). Validity: `notBefore`/`notAfter` options (default an hour ago to ten years on).
 */
export async function createCa(dir: string, name: string, opts: { notBefore?: Date; notAfter?: Date } = {}): Promise<CertificateAuthority> {
  mkdirForTestUser(dir);
  const keyPath = path.join(dir, 'cakey.pem');
  const certPath = path.join(dir, 'cacert.pem');
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
  fs.mkdirSync(path.join(dir, 'issued'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), `${(Date.now() % 1e9).toString(16).padStart(8, '0')}01\n`);
  const conf = path.join(dir, 'ca.cnf');
  fs.writeFileSync(
    conf,
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/issued',
      'serial = $dir/serial',
      `certificate = ${certPath}`,
      `private_key = ${keyPath}`,
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'copy_extensions = none',
      'email_in_dn = no',
      '[policy_any]',
      'commonName = supplied',
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      `CN = ${name}`,
      '[v3_ca]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  // Self-sign through `openssl ca -selfsign` so the dates can be chosen.
  const csr = path.join(dir, 'ca.csr');
  await openssl(['req', '-new', '-key', keyPath, '-config', conf, '-out', csr]);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = opts.notAfter ?? new Date(Date.now() + 3650 * 86400_000);
  await openssl([
    'ca',
    '-batch',
    '-notext',
    '-selfsign',
    '-config',
    conf,
    '-keyfile',
    keyPath,
    '-in',
    csr,
    '-out',
    certPath,
    '-extensions',
    'v3_ca',
    '-extfile',
    conf,
    '-startdate',
    asn1Time(notBefore),
    '-enddate',
    asn1Time(notAfter),
  ]);
  chownFile(keyPath, 0o600);
  chownFile(certPath, 0o644);

  const issue = async (o: IssueOptions): Promise<CertFiles> => {
    mkdirForTestUser(o.outDir);
    const server = o.kind === 'server';
    const cn = o.commonName ?? (server ? '127.0.0.1' : 'libvirt-rpc test client');
    const dns = o.dnsNames ?? (server ? ['localhost'] : []);
    const ips = o.ipAddresses ?? (server ? ['127.0.0.1'] : []);
    const cert = path.join(o.outDir, o.certName ?? (server ? 'servercert.pem' : 'clientcert.pem'));
    const key = path.join(o.outDir, o.keyName ?? (server ? 'serverkey.pem' : 'clientkey.pem'));
    const tag = `${path.basename(cert, '.pem')}-${Math.random().toString(36).slice(2, 8)}`;
    const csrPath = path.join(dir, `${tag}.csr`);
    const ext = path.join(dir, `${tag}.ext`);
    const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)];
    fs.writeFileSync(
      ext,
      [
        '[v3]',
        o.ca ? 'basicConstraints = critical,CA:TRUE' : 'basicConstraints = CA:FALSE',
        o.ca ? 'keyUsage = critical,keyCertSign,digitalSignature,keyEncipherment' : 'keyUsage = digitalSignature,keyEncipherment',
        `extendedKeyUsage = ${server ? 'serverAuth' : 'clientAuth'}`,
        ...(san.length ? [`subjectAltName = ${san.join(',')}`] : []),
        '',
      ].join('\n'),
    );
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
    await openssl(['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', csrPath]);
    await openssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      conf,
      '-in',
      csrPath,
      '-out',
      cert,
      '-extfile',
      ext,
      '-extensions',
      'v3',
      '-startdate',
      asn1Time(o.notBefore ?? new Date(Date.now() - 3600_000)),
      '-enddate',
      asn1Time(o.notAfter ?? new Date(Date.now() + 30 * 86400_000)),
    ]);
    chownFile(key, 0o600);
    chownFile(cert, 0o644);
    return { certPath: cert, keyPath: key };
  };
  return { name, dir, certPath, keyPath, issue };
}

/** A CA with a server and a client certificate, from {@link createTestPki}. */
export interface TestPki {
  /** The dir holding everything (owned by lvtest). */
  readonly dir: string;
  /** The CA. */
  readonly ca: CertificateAuthority;
  /** The server's certificate (CN 127.0.0.1, SAN DNS:localhost, IP:127.0.0.1) and key. */
  readonly server: CertFiles;
  /** A `pkipath=` dir for clients: `cacert.pem`, `clientcert.pem`, `clientkey.pem`. */
  readonly clientDir: string;
  /** The client certificate and key inside {@link TestPki.clientDir}. */
  readonly client: CertFiles;
  /**
   * libvirtd.conf settings for a TLS listener on `port` with the server certificate
   * (for `startPrivateDaemon({ listenTls: true, confOverrides })`).
   */
  daemonConf(port: number, server?: CertFiles): Record<string, string>;
  /** Makes another `pkipath=` dir named `name` holding copies of the given files (for tests that break one). */
  clientDirWith(name: string, files: { cacert?: string | null; clientcert?: string | null; clientkey?: string | null }): string;
  /** Removes the dir. */
  remove(): void;
}

/**
 * Makes a fresh CA, a server certificate for 127.0.0.1/localhost and a client certificate,
 * in a new dir under `baseDir` (default `os.tmpdir()`), all readable by lvtest.
 */
export async function createTestPki(baseDir: string = os.tmpdir()): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(baseDir, 'lvrpc-pki-'));
  mkdirForTestUser(dir);
  try {
    const ca = await createCa(path.join(dir, 'ca'), 'libvirt-rpc test CA');
    const server = await ca.issue({ kind: 'server', outDir: path.join(dir, 'server') });
    const clientDir = path.join(dir, 'client');
    const client = await ca.issue({ kind: 'client', outDir: clientDir });
    fs.copyFileSync(ca.certPath, path.join(clientDir, 'cacert.pem'));
    chownFile(path.join(clientDir, 'cacert.pem'), 0o644);
    const quote = (s: string): string => JSON.stringify(s);
    return {
      dir,
      ca,
      server,
      clientDir,
      client,
      daemonConf(port: number, srv: CertFiles = server): Record<string, string> {
        return {
          tls_port: quote(String(port)),
          ca_file: quote(ca.certPath),
          cert_file: quote(srv.certPath),
          key_file: quote(srv.keyPath),
          auth_tls: quote('none'),
        };
      },
      clientDirWith(name, files) {
        const d = path.join(dir, name);
        mkdirForTestUser(d);
        const put = (src: string | null | undefined, fallback: string, dest: string): void => {
          const from = src === undefined ? fallback : src;
          if (from === null) return;
          fs.copyFileSync(from, path.join(d, dest));
          chownFile(path.join(d, dest), dest.includes('key') ? 0o600 : 0o644);
        };
        put(files.cacert, ca.certPath, 'cacert.pem');
        put(files.clientcert, client.certPath, 'clientcert.pem');
        put(files.clientkey, client.keyPath, 'clientkey.pem');
        return d;
      },
      remove() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
