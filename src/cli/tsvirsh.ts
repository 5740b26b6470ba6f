#!/usr/bin/env node
/**
 * The `tsvirsh` executable: virsh's command line over libvirt-rpc, no libvirt needed.
 * @packageDocumentation
 */
import { runVirsh } from './main.js';

runVirsh(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
