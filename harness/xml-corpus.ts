/**
 * libvirt 9.0.0's own XML test data, the corpus of the typed XML model's round-trip test:
 * fetched once into a cache shared by every checkout and run (not into git), from Debian's
 * archive, the upstream release tarball as Debian's source package `libvirt 9.0.0-4+deb12u2`
 * ships it (`libvirt_9.0.0.orig.tar.xz`, what `apt-get source libvirt` downloads on bookworm),
 * checked against the SHA-256 of the package's signed `.dsc`. Only the folders the test reads
 * are unpacked (tests/, examples/xml/, src/network/, src/nwfilter/xml/).
 *
 * Cache: `$LIBVIRT_RPC_CACHE` or `$XDG_CACHE_HOME/libvirt-rpc` (default `~/.cache/libvirt-rpc`).
 * Mirror: `$DEBIAN_MIRROR` (default deb.debian.org), then snapshot.debian.org.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TARBALL = 'libvirt_9.0.0.orig.tar.xz';
const SHA256 = 'deca5cff1b7baac297bca9663907c61f71a47183371dc7ac019c107806d5435a';
const SIZE = 9_007_104;
const TOP = 'libvirt-9.0.0';
const PARTS = ['tests', 'examples/xml', 'src/network', 'src/nwfilter/xml'];

function cacheRoot(): string {
  if (process.env.LIBVIRT_RPC_CACHE) return process.env.LIBVIRT_RPC_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'libvirt-rpc');
}

async function download(): Promise<Buffer> {
  const mirrors = [process.env.DEBIAN_MIRROR || 'http://deb.debian.org/debian', 'https://snapshot.debian.org/archive/debian/20250520T000000Z'];
  const failures: string[] = [];
  for (const m of mirrors) {
    const url = `${m}/pool/main/libv/libvirt/${TARBALL}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      const sum = createHash('sha256').update(body).digest('hex');
      if (body.length !== SIZE || sum !== SHA256) throw new Error(`got ${body.length} bytes, SHA-256 ${sum}; expected ${SIZE} bytes, ${SHA256}`);
      return body;
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new Error(`could not fetch ${TARBALL}:\n  ${failures.join('\n  ')}`);
}

/**
 * The folder holding libvirt 9.0.0's source tree parts the corpus uses (`<dir>/tests/...`),
 * downloading and unpacking it on first use.
 */
export async function xmlCorpusDir(): Promise<string> {
  const dir = path.join(cacheRoot(), `${TOP}-xml-corpus`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot(), '.corpus-'));
  try {
    const tarball = path.join(tmp, TARBALL);
    fs.writeFileSync(tarball, await download());
    const r = spawnSync('tar', ['-xJf', tarball, '-C', tmp, ...PARTS.map((p) => `${TOP}/${p}`)], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`tar failed (status ${r.status}): ${r.stderr || r.error?.message}`);
    fs.writeFileSync(path.join(tmp, TOP, '.complete'), `${TARBALL} ${SHA256}\n`);
    try {
      fs.renameSync(path.join(tmp, TOP), dir);
    } catch (err) {
      // Another run unpacked it first.
      if (!fs.existsSync(path.join(dir, '.complete'))) throw err;
    }
    return dir;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
