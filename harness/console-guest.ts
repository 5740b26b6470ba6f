/**
 * A QEMU guest that talks on its serial console: a 512-byte x86 boot sector, assembled here
 * byte by byte (nothing binary is committed), that prints a known line on COM1 and then echoes
 * every byte it receives there. SeaBIOS loads it from a tiny raw disk; under TCG it runs in well
 * under a second. Console tests (`virsh console`, `tsvirsh console`, a browser console) connect to
 * it, read the line and type at it.
 *
 * Start it paused (`start --paused`), attach the console, then resume it: the line is printed
 * once, at boot, and a serial port with no reader drops what it is sent.
 *
 * @module
 */
import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chownToTestUser } from './daemon.js';
import { tinyGuestXml, type TinyGuestOptions } from './guest.js';

/** The line the guest prints at boot (then `\r\n`). */
export const CONSOLE_GUEST_BANNER = 'libvirt-rpc console guest: type and I echo';

/** COM1's data register and line status register. */
const COM1 = 0x3f8;
const COM1_LSR = COM1 + 5;

/** One instruction (or data): its bytes, a comment, and relative targets filled in by {@link assemble}. */
interface Line {
  readonly label?: string;
  /** Bytes; a string entry is a label whose offset goes there (`rel8`/`rel16` relative to the next instruction, `abs16` as an address in the loaded sector). */
  readonly bytes: readonly (number | { readonly rel8: string } | { readonly rel16: string } | { readonly abs16: string })[];
  readonly asm: string;
}

const lo = (v: number): number => v & 0xff;
const hi = (v: number): number => (v >> 8) & 0xff;

/**
 * The program, in 16-bit real mode at 0000:7C00 (where the BIOS loads a boot sector). Each line
 * is an instruction with its hand-assembled encoding (Intel SDM opcodes; ModRM bytes spelled out).
 */
function program(banner: string): Line[] {
  return [
    { label: 'start', bytes: [0xfa], asm: 'cli' },
    { bytes: [0x31, 0xc0], asm: 'xor ax, ax            ; 31 /r, ModRM 11 000 000' },
    { bytes: [0x8e, 0xd8], asm: 'mov ds, ax            ; 8E /r, ModRM 11 011(ds) 000(ax)' },
    { bytes: [0x8e, 0xd0], asm: 'mov ss, ax            ; 8E /r, ModRM 11 010(ss) 000(ax)' },
    { bytes: [0xbc, 0x00, 0x7c], asm: 'mov sp, 0x7C00        ; B8+4 iw: the stack grows down below the sector' },
    { bytes: [0xfb], asm: 'sti' },
    { bytes: [0xfc], asm: 'cld                   ; lodsb walks forward' },
    { bytes: [0xbe, { abs16: 'banner' }], asm: 'mov si, banner        ; B8+6 iw' },
    { label: 'print', bytes: [0xac], asm: 'lodsb                 ; al = [ds:si++]' },
    { bytes: [0x84, 0xc0], asm: 'test al, al           ; 84 /r, ModRM 11 000 000' },
    { bytes: [0x74, { rel8: 'echo' }], asm: 'jz echo               ; the NUL ends the banner' },
    { bytes: [0xe8, { rel16: 'putc' }], asm: 'call putc' },
    { bytes: [0xeb, { rel8: 'print' }], asm: 'jmp print' },
    { label: 'echo', bytes: [0xba, lo(COM1_LSR), hi(COM1_LSR)], asm: 'mov dx, COM1+5        ; line status register' },
    { label: 'wait_rx', bytes: [0xec], asm: 'in al, dx' },
    { bytes: [0xa8, 0x01], asm: 'test al, 0x01         ; data ready?' },
    { bytes: [0x74, { rel8: 'wait_rx' }], asm: 'jz wait_rx' },
    { bytes: [0xba, lo(COM1), hi(COM1)], asm: 'mov dx, COM1          ; receive buffer' },
    { bytes: [0xec], asm: 'in al, dx             ; the byte typed' },
    { bytes: [0xe8, { rel16: 'putc' }], asm: 'call putc             ; sent straight back' },
    { bytes: [0xeb, { rel8: 'echo' }], asm: 'jmp echo' },
    { label: 'putc', bytes: [0x88, 0xc3], asm: 'mov bl, al            ; 88 /r, ModRM 11 000(al) 011(bl): keep the byte' },
    { bytes: [0xba, lo(COM1_LSR), hi(COM1_LSR)], asm: 'mov dx, COM1+5' },
    { label: 'wait_tx', bytes: [0xec], asm: 'in al, dx' },
    { bytes: [0xa8, 0x20], asm: 'test al, 0x20         ; transmit holding register empty?' },
    { bytes: [0x74, { rel8: 'wait_tx' }], asm: 'jz wait_tx' },
    { bytes: [0xba, lo(COM1), hi(COM1)], asm: 'mov dx, COM1          ; transmit holding register' },
    { bytes: [0x88, 0xd8], asm: 'mov al, bl            ; 88 /r, ModRM 11 011(bl) 000(al)' },
    { bytes: [0xee], asm: 'out dx, al' },
    { bytes: [0xc3], asm: 'ret' },
    { label: 'banner', bytes: [...Buffer.from(`${banner}\r\n`, 'latin1'), 0], asm: 'db banner, 13, 10, 0' },
  ];
}

/** Where the BIOS loads the sector. */
const LOAD_ADDRESS = 0x7c00;

/** Lays the lines out, resolves labels (two passes: sizes do not depend on targets) and pads to a boot sector with its 55 AA signature. */
function assemble(lines: readonly Line[]): Buffer {
  const size = (b: Line['bytes'][number]): number => (typeof b === 'number' ? 1 : 'rel8' in b ? 1 : 2);
  const offsets = new Map<string, number>();
  let at = 0;
  for (const l of lines) {
    if (l.label) offsets.set(l.label, at);
    at += l.bytes.reduce((n: number, b) => n + size(b), 0);
  }
  if (at > 510) throw new Error(`boot sector program is ${at} bytes, more than 510`);
  const out = Buffer.alloc(512);
  at = 0;
  for (const l of lines) {
    const end = at + l.bytes.reduce((n: number, b) => n + size(b), 0);
    for (const b of l.bytes) {
      if (typeof b === 'number') {
        out[at++] = b;
        continue;
      }
      const name = 'rel8' in b ? b.rel8 : 'rel16' in b ? b.rel16 : b.abs16;
      const target = offsets.get(name);
      if (target === undefined) throw new Error(`unknown label ${name}`);
      if ('rel8' in b) {
        const d = target - end;
        if (d < -128 || d > 127) throw new Error(`jump to ${name} out of rel8 range`);
        out.writeInt8(d, at++);
      } else {
        out.writeUInt16LE(('rel16' in b ? target - end : LOAD_ADDRESS + target) & 0xffff, at);
        at += 2;
      }
    }
  }
  out[510] = 0x55;
  out[511] = 0xaa;
  return out;
}

/** The 512-byte boot sector: prints `banner` and CR LF on COM1, then echoes COM1's input forever. */
export function echoBootSector(banner: string = CONSOLE_GUEST_BANNER): Buffer {
  return assemble(program(banner));
}

/** A console guest ready to define. */
export interface ConsoleGuest {
  /** The domain XML. */
  readonly xml: string;
  /** The disk image holding the boot sector. */
  readonly image: string;
  /** The line the guest prints at boot. */
  readonly banner: string;
}

/**
 * Writes the boot disk into `dir` (a 1 MiB raw image, sector 0 the program; owned by the
 * harness daemon's user so its QEMU can open it read-write) and returns the XML of a tiny TCG
 * guest named `name` that boots it, its serial port the console.
 */
export function consoleGuest(dir: string, name: string, opts: TinyGuestOptions & { readonly banner?: string } = {}): ConsoleGuest {
  const banner = opts.banner ?? CONSOLE_GUEST_BANNER;
  const image = path.join(dir, `${name}-boot.img`);
  const disk = Buffer.alloc(1 << 20);
  echoBootSector(banner).copy(disk, 0);
  writeFileSync(image, disk);
  chmodSync(image, 0o644);
  chownToTestUser(image);
  const extraDevices = `    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${image}'/>
      <target dev='hda' bus='ide'/>
    </disk>
${opts.extraDevices ?? ''}`;
  return { xml: tinyGuestXml(name, { vnc: false, ...opts, boot: 'hd', extraDevices }), image, banner };
}
