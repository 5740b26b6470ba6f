#!/usr/bin/env node
/**
 * The `tsvirsh` executable: virsh's command line over libvirt-rpc, no libvirt needed.
 * @packageDocumentation
 */
import { runVirsh } from './main.js';
import { terminalCredentials } from './prompt.js';

// Ctrl-C ends a waiting command (event loops, block jobs) as virsh's SIGINT handler does;
// a second Ctrl-C kills the process.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

runVirsh(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  interrupt: interrupt.signal,
  // Passwords, passphrases and questions are asked on the terminal, as virsh asks them.
  credentials: terminalCredentials((t) => process.stdout.write(t)),
}).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
