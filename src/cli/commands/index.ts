/**
 * Every tsvirsh command, by group. Each group lives in its own module.
 */
import type { CommandSpec } from '../command.js';
import { domainCommands } from './domain.js';
import { hostCommands } from './host.js';
import { ifaceCommands } from './iface.js';
import { monitorCommands } from './monitor.js';
import { networkCommands } from './network.js';
import { nodedevCommands } from './nodedev.js';
import { nwfilterCommands } from './nwfilter.js';
import { secretCommands } from './secret.js';
import { snapshotCommands } from './snapshot.js';
import { storageCommands } from './storage.js';

/** Every command tsvirsh knows. */
export const COMMANDS: readonly CommandSpec[] = [
  ...domainCommands,
  ...monitorCommands,
  ...snapshotCommands,
  ...hostCommands,
  ...networkCommands,
  ...storageCommands,
  ...ifaceCommands,
  ...nodedevCommands,
  ...secretCommands,
  ...nwfilterCommands,
];
