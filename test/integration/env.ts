/**
 * What integration tests call to reach libvirtd: the run's daemon (from global-setup.ts), private
 * test-driver state per test, and extra daemons of their own (for tests that kill or SIGSTOP one).
 *
 * @module
 */
import * as path from 'node:path';
import { afterAll, inject, onTestFinished } from 'vitest';
import {
  startPrivateDaemon,
  testDriverUriFor,
  type DaemonTransport,
  type PrivateDaemon,
  type PrivateDaemonInfo,
  type PrivateDaemonOptions,
} from '../../harness/daemon.js';
import { writeTestNodeXml, type TestNodeOptions } from '../../harness/test-driver.js';
import type { SuiteDaemonInfo } from './global-setup.js';

export type { SuiteDaemonInfo } from './global-setup.js';

/** A daemon the harness controls, with a URI builder for private test-driver state. */
export interface HarnessDaemon extends PrivateDaemonInfo {
  /** See {@link PrivateDaemon.testDriverUri}. */
  testDriverUri(nodeXmlPath: string, transport: DaemonTransport): string;
}

/** The run's daemon as global-setup.ts provided it. */
export function daemonInfo(): SuiteDaemonInfo {
  const info = inject('libvirtDaemon');
  if (!info) {
    throw new Error(
      "no 'libvirtDaemon' provided: run integration tests with `npx vitest run --project integration` " +
        '(its globalSetup is test/integration/global-setup.ts)',
    );
  }
  return info;
}

const fileDaemons = new Set<PrivateDaemon>();
let lazyDaemon: Promise<PrivateDaemon> | undefined;

afterAll(async () => {
  const all = [...fileDaemons];
  fileDaemons.clear();
  lazyDaemon = undefined;
  await Promise.all(all.map((d) => d.stop()));
}, 60_000);

/**
 * A private daemon the harness controls: the run's shared one, or — when the run uses an external
 * `LIBVIRT_TEST_URI` — one started on first use for this test file (stopped after it). Tests that
 * need the session QEMU driver, the test driver or a known socket/port use this, so they never
 * skip.
 */
export async function harnessDaemon(): Promise<HarnessDaemon> {
  const info = daemonInfo();
  if (info.daemon) {
    const d = info.daemon;
    return { ...d, testDriverUri: (p, t) => testDriverUriFor(d, p, t) };
  }
  lazyDaemon ??= startPrivateDaemon({ label: 'file' }).then((d) => {
    fileDaemons.add(d);
    return d;
  });
  return await lazyDaemon;
}

/**
 * Writes a fresh test-driver node XML (default: one running domain `test`, a `default` network
 * and a `default-pool` pool, as test:///default has) into the harness daemon's dir and returns a
 * test-driver URI for it. Every connection opened to that URI gets its own private state.
 */
export async function privateTestUri(transport: DaemonTransport = 'unix', opts: TestNodeOptions = {}): Promise<string> {
  const d = await harnessDaemon();
  const file = writeTestNodeXml(path.join(d.dir, 'nodes'), opts);
  return d.testDriverUri(file, transport);
}

/**
 * Starts a daemon of the test's own (for tests that kill, SIGSTOP or reconfigure one). It is
 * stopped when the calling test finishes, or — when called outside a test (in `beforeAll`) —
 * after the test file; and in any case when the process exits.
 */
export async function startExtraDaemon(options: PrivateDaemonOptions = {}): Promise<PrivateDaemon> {
  const d = await startPrivateDaemon({ label: 'extra', ...options });
  try {
    onTestFinished(() => d.stop(), 60_000);
  } catch {
    fileDaemons.add(d);
  }
  return d;
}
