#!/usr/bin/env node
/**
 * `libvirt-rpc-bridge`: runs {@link startBridge} from the command line (see cli-options.ts and
 * `libvirt-rpc-bridge --help`). Prints the URL it serves on stdout once it listens, one log
 * line per connection and refusal on stderr; stops on SIGINT or SIGTERM.
 *
 * @module
 */
import { BRIDGE_USAGE, parseBridgeCommand } from './cli-options.js';
import { startBridge } from './server.js';

const stamp = (): string => new Date().toISOString();

async function main(): Promise<void> {
  const command = parseBridgeCommand(process.argv.slice(2));
  if (command.help) {
    process.stdout.write(BRIDGE_USAGE);
    return;
  }
  const log = command.quiet ? () => {} : (line: string) => process.stderr.write(`${stamp()} ${line}\n`);
  for (const w of command.warnings) process.stderr.write(`${stamp()} warning: ${w}\n`);
  const bridge = await startBridge({ ...command.options, log });
  process.stdout.write(`libvirt-rpc-bridge listening on ${bridge.url}\n`);
  if (command.options.staticDir !== undefined) {
    const u = new URL(bridge.url);
    process.stdout.write(`serving ${command.options.staticDir} at ${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}/\n`);
  }
  const stop = (signal: string): void => {
    log(`${signal}: closing ${bridge.clients} clients`);
    void bridge.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`libvirt-rpc-bridge: error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
