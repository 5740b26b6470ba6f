#!/usr/bin/env node
/**
 * The `tsvirsh` executable: virsh's command line over libvirt-rpc, no libvirt needed.
 * @packageDocumentation
 */
import { isatty } from 'node:tty';
import { runVirsh } from './main.js';
import { terminalCredentials } from './shell/prompt.js';

// Ctrl-C ends a waiting command (event loops, block jobs) as virsh's SIGINT handler does;
// a second Ctrl-C kills the process.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

/**
 * Standard output as virsh's stdio writes it into a pipe: what one turn of the event loop prints
 * goes out in one write (`help start | head -3` reaches head whole, as virsh's buffer does), and a
 * reader that has gone ends the output quietly. virsh is then killed by SIGPIPE (status 141) when
 * it writes again; tsvirsh drops the rest and exits with that status.
 */
let pending = '';
let brokenPipe = false;
const flush = (): void => {
  if (pending === '' || brokenPipe) return;
  const text = pending;
  pending = '';
  process.stdout.write(text);
};
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (stream === process.stdout) brokenPipe = true;
  });
}
const stdout = (t: string): void => {
  if (brokenPipe) return;
  if (process.stdout.isTTY) {
    process.stdout.write(t);
    return;
  }
  if (pending === '') setImmediate(flush);
  pending += t;
};

runVirsh(process.argv.slice(2), {
  stdout,
  stderr: (t) => {
    flush();
    process.stderr.write(t);
  },
  interrupt: interrupt.signal,
  stderrTerminal: process.stderr.isTTY === true,
  stdinTerminal: () => isatty(0),
  // Passwords, passphrases and questions are asked on the terminal, as virsh asks them.
  credentials: terminalCredentials((t) => {
    flush();
    process.stdout.write(t);
  }),
}).then(
  (status) => {
    flush();
    process.exitCode = brokenPipe ? 141 : status;
  },
  (err: unknown) => {
    flush();
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
