/**
 * Every tsvirsh command, by group. Each group lives in its own module.
 */
import type { CommandSpec } from '../command.js';
import { backupCommands } from './backup.js';
import { blockjobCommands } from './blockjob.js';
import { checkpointCommands } from './checkpoint.js';
import { consoleCommands } from './console.js';
import { controlCommands } from './control.js';
import { cpuCommands } from './cpu.js';
import { deviceCommands } from './device.js';
import { displayCommands } from './display.js';
import { domainCommands } from './domain.js';
import { editCommands } from './edit.js';
import { eventCommands } from './event.js';
import { guestAgentCommands } from './guest-agent.js';
import { hostCommands } from './host.js';
import { jobCommands } from './job.js';
import { lifecycleCommands } from './lifecycle.js';
import { migrateCommands } from './migrate.js';
import { ifaceCommands } from './iface.js';
import { listCommands } from './list.js';
import { lxcCommands } from './lxc.js';
import { monitorCommands } from './monitor.js';
import { networkCommands } from './network.js';
import { nodedevCommands } from './nodedev.js';
import { nwfilterCommands } from './nwfilter.js';
import { qemuCommands } from './qemu.js';
import { poolDiscoveryCommands } from './pool-discovery.js';
import { saveCommands } from './save.js';
import { secretCommands } from './secret.js';
import { snapshotCommands } from './snapshot.js';
import { snapshotCreateCommand } from './snapshot-create.js';
import { storageCommands } from './storage.js';
import { tuneCommands } from './tune.js';
import { transferCommands } from './vol-transfer.js';

/** Every command tsvirsh knows. */
export const COMMANDS: readonly CommandSpec[] = [
  ...listCommands,
  ...domainCommands,
  ...lifecycleCommands,
  ...deviceCommands,
  ...saveCommands,
  ...controlCommands,
  ...monitorCommands,
  ...tuneCommands,
  ...cpuCommands,
  ...jobCommands,
  ...migrateCommands,
  ...qemuCommands,
  ...displayCommands,
  ...guestAgentCommands,
  ...blockjobCommands,
  ...snapshotCommands,
  snapshotCreateCommand,
  ...checkpointCommands,
  ...backupCommands,
  ...hostCommands,
  ...networkCommands,
  ...storageCommands,
  ...poolDiscoveryCommands,
  ...transferCommands,
  ...ifaceCommands,
  ...nodedevCommands,
  ...secretCommands,
  ...nwfilterCommands,
  ...eventCommands,
  ...editCommands,
  ...consoleCommands,
  ...lxcCommands,
];
