/**
 * `tls_priority` (a GnuTLS priority string, from the URI or libvirt.conf)
 * mapped onto what Node's OpenSSL-based TLS can take: only the protocol
 * versions; every other item is accepted and reported as ignored.
 */
import type { SecureVersion } from 'node:tls';
import { TlsError } from './errors.js';

/** What {@link tlsPriorityToNode} makes of a GnuTLS priority string. */
export interface TlsPriorityMapping {
  /** Lowest TLS version to offer. */
  readonly minVersion: SecureVersion;
  /** Highest TLS version to offer. */
  readonly maxVersion: SecureVersion;
  /** The items that were accepted but have no effect here. */
  readonly ignored: readonly string[];
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const GNUTLS_VERSION: Readonly<Record<string, SecureVersion>> = {
  'VERS-TLS1.0': 'TLSv1',
  'VERS-TLS1.1': 'TLSv1.1',
  'VERS-TLS1.2': 'TLSv1.2',
  'VERS-TLS1.3': 'TLSv1.3',
};

/**
 * Maps a GnuTLS priority string (`tls_priority`) onto what Node's TLS can do:
 * only the protocol versions. The base keyword sets no versions of its own
 * (TLS 1.2-1.3, Node's default) except `NONE`, which starts from none; then
 * `+VERS-TLSx.y` / `-VERS-TLSx.y` / `-VERS-ALL` / `-VERS-TLS-ALL` /
 * `+VERS-ALL` / `+VERS-TLS-ALL` switch versions on and off, in order. The
 * enabled versions must form a range (Node has only a minimum and a maximum).
 *
 * @throws TlsError (`handshake`) when the string leaves no TLS version, or a
 *   set of versions with a hole in it. DTLS and SSL3 items are ignored.
 */
export function tlsPriorityToNode(priority: string | null): TlsPriorityMapping {
  const enabled = new Set<SecureVersion>(['TLSv1.2', 'TLSv1.3']);
  const ignored: string[] = [];
  if (priority === null || priority.trim() === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ignored };
  const items = priority.split(':');
  items.forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    if (i === 0 && !/^[-+!]/.test(item)) {
      if (item.toUpperCase() === 'NONE') enabled.clear();
      else ignored.push(item);
      return;
    }
    const m = /^([+-])(VERS-.*)$/i.exec(item);
    if (m === null) {
      ignored.push(item);
      return;
    }
    const on = m[1] === '+';
    const what = m[2]!.toUpperCase();
    if (what === 'VERS-ALL' || what === 'VERS-TLS-ALL') {
      if (on) for (const v of VERSIONS) enabled.add(v);
      else enabled.clear();
      return;
    }
    const v = GNUTLS_VERSION[what];
    if (v === undefined) {
      ignored.push(item);
      return;
    }
    if (on) enabled.add(v);
    else enabled.delete(v);
  });
  const on = VERSIONS.filter((v) => enabled.has(v));
  if (on.length === 0) {
    throw new TlsError('handshake', `TLS priority ${JSON.stringify(priority)} enables no TLS protocol version`);
  }
  const lo = VERSIONS.indexOf(on[0]!);
  const hi = VERSIONS.indexOf(on[on.length - 1]!);
  if (hi - lo + 1 !== on.length) {
    throw new TlsError(
      'handshake',
      `TLS priority ${JSON.stringify(priority)} enables ${on.join(', ')}: Node's TLS can only use a contiguous range of versions`,
    );
  }
  return { minVersion: VERSIONS[lo]!, maxVersion: VERSIONS[hi]!, ignored };
}
