/**
 * A tiny real QEMU guest for the session daemon: TCG (`type='qemu'`, /dev/kvm is root-only
 * here), 64 MiB, no disk (SeaBIOS finds nothing to boot and idles), a pty serial console and a
 * VNC display on 127.0.0.1. It starts in well under a second under the private session daemon.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** The QEMU binary the guest uses. */
export const QEMU_EMULATOR = '/usr/bin/qemu-system-x86_64';

/** Options for {@link tinyGuestXml}. */
export interface TinyGuestOptions {
  /** UUID (default: random). */
  uuid?: string;
  /** Memory in MiB (default 64). */
  memoryMiB?: number;
  /** vCPUs (default 1). */
  vcpus?: number;
  /** Machine type (default `pc`, the i440FX alias). */
  machine?: string;
  /** Include the VNC display (default true). */
  vnc?: boolean;
  /** Extra XML put inside `<devices>` (e.g. a `<disk>` with a boot sector image). */
  extraDevices?: string;
  /** Boot device (default `hd`). */
  boot?: 'hd' | 'fd' | 'cdrom' | 'network';
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The domain XML of a tiny TCG guest named `name`. */
export function tinyGuestXml(name: string, opts: TinyGuestOptions = {}): string {
  const vnc =
    opts.vnc === false
      ? ''
      : `    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='cirrus'/></video>
`;
  return `<domain type='qemu'>
  <name>${xmlEscape(name)}</name>
  <uuid>${opts.uuid ?? randomUUID()}</uuid>
  <memory unit='MiB'>${opts.memoryMiB ?? 64}</memory>
  <vcpu>${opts.vcpus ?? 1}</vcpu>
  <os>
    <type arch='x86_64' machine='${xmlEscape(opts.machine ?? 'pc')}'>hvm</type>
    <boot dev='${opts.boot ?? 'hd'}'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>${QEMU_EMULATOR}</emulator>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
${vnc}    <memballoon model='none'/>
${opts.extraDevices ?? ''}  </devices>
</domain>
`;
}

/** The PID of the QEMU process running guest `name` (read from /proc; for tests that stop it with SIGSTOP). */
export function qemuPid(name: string): number {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (cmd.startsWith('/usr/bin/qemu-system') && cmd.includes(`guest=${name},`)) return Number(e);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no QEMU process for ${name}`);
}
