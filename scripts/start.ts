/**
 * The main job, as a person at a terminal would run it: connect by URI (or,
 * with none, to a private libvirtd this script starts), show the daemon's
 * version, host and domains, and take a real guest through its life cycle:
 * defined from XML, started, queried, destroyed and undefined.
 *
 *   npm start                      # embedded private daemon, QEMU session driver
 *   npm start -- qemu:///system    # any URI; add --guest to run the guest part there too
 */
import { randomBytes } from 'node:crypto';
import { startPrivateDaemon, type PrivateDaemon } from '../harness/daemon.js';
import { tinyGuestXml } from '../harness/guest.js';
import { connect, type Connection, LibvirtError, virDomainState } from '../src/index.js';

const STATE_NAMES = new Map<number, string>(
  Object.entries(virDomainState).map(([name, value]) => [value, name.replace('VIR_DOMAIN_', '').toLowerCase()]),
);

function versionText(v: bigint | number): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

async function showHost(conn: Connection): Promise<void> {
  const [libVersion, hvType, hostname, nodeInfo] = await Promise.all([
    conn.raw.connectGetLibVersion(),
    conn.raw.connectGetType(),
    conn.raw.connectGetHostname(),
    conn.raw.nodeGetInfo(),
  ]);
  console.log(`daemon libvirt ${versionText(libVersion)}, driver ${hvType}, host ${hostname}`);
  // `char model[32]` travels as 32 four-byte chars: a NUL-terminated C string.
  const model = String.fromCharCode(...nodeInfo.model.slice(0, Math.max(0, nodeInfo.model.indexOf(0)) || 32));
  console.log(`node: ${model}, ${nodeInfo.cpus} CPUs, ${Math.round(Number(nodeInfo.memory) / 1024)} MiB`);
}

async function showDomains(conn: Connection): Promise<void> {
  const { domains } = await conn.raw.connectListAllDomains(1, 0);
  if (domains.length === 0) console.log('domains: none');
  for (const d of domains) {
    const info = await conn.raw.domainGetInfo(d);
    console.log(`domain ${d.name} (id ${d.id}): ${STATE_NAMES.get(info.state) ?? info.state}, ${info.nrVirtCpu} vCPU, ${info.maxMem / 1024n} MiB`);
  }
}

async function guestLifecycle(conn: Connection): Promise<void> {
  const name = `libvirt-rpc-demo-${randomBytes(3).toString('hex')}`;
  const dom = await conn.raw.domainDefineXML(tinyGuestXml(name));
  console.log(`defined ${dom.name} from XML`);
  try {
    await conn.raw.domainCreate(dom);
    const running = await conn.raw.domainLookupByName(name);
    const info = await conn.raw.domainGetInfo(running);
    console.log(`started ${name}: id ${running.id}, ${STATE_NAMES.get(info.state)}, ${info.memory / 1024n} MiB, ${info.nrVirtCpu} vCPU`);
    await conn.raw.domainDestroy(running);
    const after = await conn.raw.domainGetInfo(dom);
    console.log(`destroyed ${name}: ${STATE_NAMES.get(after.state)}`);
  } finally {
    await conn.raw.domainUndefine(dom);
    console.log(`undefined ${name}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wantGuest = args.includes('--guest');
  const uriArg = args.find((a) => !a.startsWith('--')) ?? null;
  let daemon: PrivateDaemon | null = null;
  let uri = uriArg ?? process.env.LIBVIRT_DEFAULT_URI ?? null;
  if (uri === null) {
    console.log('no URI given: starting a private libvirtd (QEMU session driver) ...');
    daemon = await startPrivateDaemon({ label: 'start' });
    uri = daemon.uris.qemuSessionUnix;
  }
  try {
    const t0 = performance.now();
    const conn = await connect(uri);
    console.log(`connected to ${conn.uri} over ${conn.plan.transport} in ${(performance.now() - t0).toFixed(1)} ms`);
    try {
      await showHost(conn);
      await showDomains(conn);
      if (daemon !== null || wantGuest) await guestLifecycle(conn);
      await showDomains(conn);
    } finally {
      await conn.close();
    }
  } finally {
    await daemon?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof LibvirtError) console.error(`error: ${err.message} (${err.codeName ?? err.errorCode})`);
  else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
