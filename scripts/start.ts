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
import { connect, domainStateName, type Connection, LibvirtError } from '../src/index.js';

function versionText(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

async function showHost(conn: Connection): Promise<void> {
  const [libVersion, hvType, hostname, node] = await Promise.all([conn.getLibVersion(), conn.getType(), conn.getHostname(), conn.nodeGetInfo()]);
  console.log(`daemon libvirt ${versionText(libVersion)}, driver ${hvType}, host ${hostname}`);
  console.log(`node: ${node.model}, ${node.cpus} CPUs, ${Math.round(node.memory / 1024)} MiB`);
}

async function showDomains(conn: Connection): Promise<void> {
  const domains = await conn.listAllDomains();
  if (domains.length === 0) console.log('domains: none');
  for (const dom of domains) {
    const info = await dom.getInfo();
    console.log(`domain ${dom.name} (id ${dom.id}): ${domainStateName(info.state)}, ${info.nrVirtCpu} vCPU, ${info.maxMem / 1024} MiB`);
  }
}

async function guestLifecycle(conn: Connection): Promise<void> {
  const name = `libvirt-rpc-demo-${randomBytes(3).toString('hex')}`;
  const dom = await conn.domainDefineXML(tinyGuestXml(name));
  console.log(`defined ${dom.name} from XML`);
  try {
    await dom.create();
    const info = await dom.getInfo();
    console.log(`started ${name}: id ${dom.id}, ${domainStateName(info.state)}, ${info.memory / 1024} MiB, ${info.nrVirtCpu} vCPU`);
    await dom.destroy();
    console.log(`destroyed ${name}: ${domainStateName((await dom.getInfo()).state)}`);
  } finally {
    await dom.undefine();
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
