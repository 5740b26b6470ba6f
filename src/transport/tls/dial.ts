/**
 * The TLS transport (`qemu+tls://host/system`, and any URI with a host and no
 * `+transport`): TCP to port 16514, a TLS handshake with x509 certificates,
 * then the one-byte confirmation libvirtd sends once it has accepted the
 * client's certificate.
 *
 * What libvirt does, and what is done here (libvirt's src/rpc/virnettlscontext.c,
 * virnettlsconfig.c and virnetclient.c were read for the facts; nothing is
 * copied):
 *
 * - **Where the files are.** With `pkipath=DIR`: `DIR/cacert.pem`,
 *   `DIR/cacrl.pem`, `DIR/clientcert.pem`, `DIR/clientkey.pem`, whether or not
 *   they exist. Otherwise a non-root client first looks in `~/.pki/libvirt/`
 *   (same names): the CA certificate and the CRL each on its own, the client
 *   certificate and key only as a pair; whatever is not found there, and
 *   everything for root, comes from `/etc/pki/CA/cacert.pem`,
 *   `/etc/pki/CA/cacrl.pem`, `/etc/pki/libvirt/clientcert.pem` and
 *   `/etc/pki/libvirt/private/clientkey.pem`.
 * - **Which files must exist.** The CA certificate always (even with
 *   `no_verify=1`). The CRL only when present. The client certificate and key
 *   may both be missing (the handshake then sends no certificate, and a daemon
 *   that checks client certificates, libvirtd's default, refuses); one without
 *   the other is an error naming the missing file.
 * - **Sanity checks of our own files** (skipped with `no_sanity=1`): the client
 *   certificate and every CA certificate must be within their validity period;
 *   the CA certificates must be CAs and the client certificate must not be one;
 *   the client certificate must be issued and signed by one of the CA
 *   certificates. libvirt also checks key usage and extended key usage, but only
 *   fails when those extensions are critical; Node does not expose criticality,
 *   so those two checks are not made here.
 * - **The server's certificate** (skipped with `no_verify=1`, which turns the
 *   failures into warnings, as libvirt does): the chain must lead to one of
 *   the CA certificates (OpenSSL's verification, with the CRL when present);
 *   every certificate must be within its validity period; the server
 *   certificate must match the URI's host name (subjectAltName DNS names with
 *   wildcards, IP addresses for a numeric host, the common name only when there
 *   are no DNS names: Node's `checkServerIdentity`, which matches what GnuTLS's
 *   `gnutls_x509_crt_check_hostname` accepts for ordinary certificates) and must
 *   not be a CA certificate.
 * - **The confirmation byte.** After the handshake libvirtd checks our
 *   certificate and sends one byte, 1, if it accepts it; otherwise it closes
 *   the connection. Anything else is "server verification (of our certificate
 *   or IP address) failed".
 * - **`tls_priority`** (URI or libvirt.conf) is a GnuTLS priority string that
 *   OpenSSL cannot take. Only its protocol-version switches are honoured
 *   (`-VERS-TLS1.2`, `+VERS-TLS1.3`, `-VERS-ALL`, `-VERS-TLS-ALL`), mapped to
 *   Node's `minVersion`/`maxVersion`; the base keyword (`NORMAL`, `SECURE128`,
 *   `SECURE256`, `PFS`, `PERFORMANCE`, `SYSTEM`, `@...`) and every cipher, key
 *   exchange, MAC, group, signature or `%` flag item are accepted and ignored
 *   (Node's defaults apply: TLS 1.2 and 1.3 with OpenSSL's default ciphers).
 *   {@link tlsPriorityToNode} reports what it ignored.
 * - **Credentials in memory.** connect's `tls` option (`ca`, `cert`, `key`,
 *   `crl`, PEM text) replaces the corresponding files; the same checks apply.
 *
 * The parts: ./paths.ts (where the files are), ./pem.ts (reading and sanity
 * checks), ./priority.ts (`tls_priority`), ./credentials.ts (the secure
 * context), ./verify.ts (the server's certificate); this module dials: TCP,
 * the handshake, the checks and the confirmation byte, within one deadline
 * (src/util/deadline.ts).
 */
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { bounded, Deadline } from '../../util/deadline.js';
import type { RemotePlan } from '../remote-plan.js';
import { dialTcp } from '../tcp.js';
import { loadTlsCredentials, type TlsDialOptions } from './credentials.js';
import { TlsError } from './errors.js';
import { checkServerCertificate, snapshotPeer, type PeerSnapshot } from './verify.js';

/**
 * Connects the TLS transport of `plan` (`plan.tls` must be set): loads and
 * checks the client's files, connects TCP to `plan.host`:`plan.port`, runs the
 * handshake, checks the server's certificate (unless `no_verify`) and waits for
 * libvirtd's confirmation byte. Resolves with the TLS socket, ready for RPC.
 *
 * `signal` and `timeout` cover the whole dial (TCP connect, handshake,
 * confirmation); the socket is destroyed on failure.
 *
 * @throws TlsError naming the problem (see `TlsFailure`); TransportError
 *   when TCP cannot connect; AbortError / TimeoutError.
 */
export async function dialTls(plan: RemotePlan, options: TlsDialOptions = {}): Promise<TLSSocket> {
  const tlsPlan = plan.tls;
  if (tlsPlan === null || plan.port === null) throw new TypeError(`dialTls: the plan is for the ${plan.transport} transport`);
  options.signal?.throwIfAborted();
  const deadline = new Deadline(options.timeout);
  const host = plan.host;
  const where = `${isIP(host) === 6 ? `[${host}]` : host}:${plan.port}`;
  const creds = await loadTlsCredentials(plan, options);
  const tcp: Socket = await dialTcp(host, plan.port, { signal: options.signal, timeout: deadline.remaining() });

  const socket = tlsConnect({
    socket: tcp,
    secureContext: creds.context,
    rejectUnauthorized: false, // checked below, as libvirt does, so no_verify can skip it
    ...(isIP(host) === 0 ? { servername: host } : {}),
    checkServerIdentity: () => undefined,
  });
  const kill = (): void => {
    socket.destroy();
    tcp.destroy();
  };
  const noCertHint = creds.hasClientCert ? '' : ` (no client certificate was sent: ${creds.paths.clientCert} and ${creds.paths.clientKey} do not exist)`;

  const peer = await bounded<PeerSnapshot>(
    { signal: options.signal, timeout: deadline.remaining(), timeoutReason: `in the TLS handshake with ${where}`, onFail: kill },
    (ok, fail) => {
      const onSecure = (): void => ok(snapshotPeer(socket));
      const onError = (err: NodeJS.ErrnoException): void =>
        fail(new TlsError('handshake', `TLS handshake with ${where} failed: ${err.message}${noCertHint}`, { errno: err.code ?? null, cause: err }));
      const onClose = (): void => fail(new TlsError('handshake', `TLS handshake with ${where} failed: the server closed the connection${noCertHint}`));
      socket.once('secureConnect', onSecure);
      socket.once('error', onError);
      socket.once('close', onClose);
      return () => {
        socket.off('secureConnect', onSecure);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
    },
  );

  const problems = checkServerCertificate(peer, host, creds.paths.caCert);
  if (problems.length > 0) {
    if (tlsPlan.verifyPeer) {
      kill();
      const first = problems[0]!;
      const more =
        problems.length > 1
          ? ` (also: ${problems
              .slice(1)
              .map((p) => p.message)
              .join('; ')})`
          : '';
      throw new TlsError(first.reason, `Failed to verify the certificate of ${where}: ${first.message}${more}`, {
        errno: first.errno,
        file: first.file,
        cause: first,
      });
    }
    for (const p of problems) options.onWarning?.(`ignoring a bad certificate of ${where} (no_verify): ${p.message}`);
  }

  // libvirtd now checks our certificate and sends 1 if it accepts it.
  await bounded<void>(
    { signal: options.signal, timeout: deadline.remaining(), timeoutReason: `waiting for ${where} to accept our TLS certificate`, onFail: kill },
    (ok, fail) => {
      const refused = (detail: string, cause?: Error): TlsError =>
        new TlsError('server-refused', `server verification (of our certificate or IP address) failed: ${detail}${noCertHint}`, {
          errno: (cause as NodeJS.ErrnoException | undefined)?.code ?? null,
          cause,
        });
      const onReadable = (): void => {
        const byte = socket.read(1) as Buffer | null;
        if (byte === null) return;
        if (byte[0] === 1) ok();
        else fail(refused(`${where} answered ${byte[0]} instead of 1`));
      };
      const onEnd = (): void => fail(refused(`${where} closed the connection`));
      const onError = (err: Error): void => fail(refused(`${where}: ${err.message}`, err));
      socket.on('readable', onReadable);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.once('error', onError);
      onReadable();
      return () => {
        socket.off('readable', onReadable);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.off('error', onError);
      };
    },
  );
  return socket;
}
