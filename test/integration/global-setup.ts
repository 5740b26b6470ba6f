/**
 * vitest globalSetup of the integration project: installs what the suite needs
 * (harness/install.sh), starts one private libvirtd for the whole run (unless
 * `LIBVIRT_TEST_URI` names a daemon to use instead), hands its description to the tests
 * (`inject('libvirtDaemon')`, see ./env.ts) and stops it at teardown.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startPrivateDaemon, HarnessError, type PrivateDaemonInfo } from '../../harness/daemon.js';

/** What the tests learn about the run's daemon. */
export interface SuiteDaemonInfo {
  /** True when `LIBVIRT_TEST_URI` names a daemon this run did not start. */
  external: boolean;
  /** `LIBVIRT_TEST_URI`, or the shared private daemon's `qemu+unix:///session?socket=…`. */
  uri: string;
  /** The shared private daemon, or null when {@link SuiteDaemonInfo.external}. */
  daemon: PrivateDaemonInfo | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The integration run's libvirtd (see test/integration/global-setup.ts). */
    libvirtDaemon: SuiteDaemonInfo;
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs harness/install.sh (bounded: apt can take minutes on a fresh machine). */
function runInstall(): void {
  const script = path.join(repoRoot, 'harness', 'install.sh');
  const r = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  if (r.error || r.status !== 0) {
    throw new HarnessError(
      'HARNESS_SETUP',
      `${script} failed (status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''})`,
      r.error ? { cause: r.error } : undefined,
    );
  }
}

/** The globalSetup entry: returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  runInstall();
  const external = process.env.LIBVIRT_TEST_URI;
  if (external) {
    project.provide('libvirtDaemon', { external: true, uri: external, daemon: null });
    return async () => {};
  }
  const daemon = await startPrivateDaemon({ label: 'suite', warmQemu: true });
  project.provide('libvirtDaemon', { external: false, uri: daemon.uris.qemuSessionUnix, daemon: daemon.info() });
  if (process.env.LIBVIRT_TEST_VERBOSE === '1') {
    process.stderr.write(`[harness] private libvirtd pid ${daemon.pid} in ${daemon.dir}, tcp ${daemon.tcpPort}\n`);
  }
  return async () => {
    await daemon.stop();
  };
}
