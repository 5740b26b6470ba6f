/**
 * `npm run gen`: regenerates `src/procedures/` (and the test fixture generated
 * from upstream's demo.x) from `protocol/`. `npm run gen:check` fails when the
 * committed files differ from a fresh generation.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, type GeneratorInput } from './generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

/** The libvirt release named in protocol/PROVENANCE.md ("Main set: libvirt X.Y.Z"). */
function libvirtVersion(): string {
  const m = /Main set: libvirt (\d+\.\d+\.\d+)/.exec(read('protocol/PROVENANCE.md'));
  if (!m) throw new Error('protocol/PROVENANCE.md does not name the libvirt release');
  return m[1];
}

interface Target {
  readonly dir: string;
  readonly input: GeneratorInput;
}

function targets(): Target[] {
  const version = libvirtVersion();
  const x = (id: string, file: string) => ({ id, path: `protocol/${file}`, text: read(`protocol/${file}`) });
  const xml = (file: string) => ({ path: `protocol/api-xml/${file}`, text: read(`protocol/api-xml/${file}`) });
  const demoDir = 'test/fixtures/upstream/test-vectors/rpcgen';
  return [
    {
      dir: 'src/procedures',
      input: {
        xFiles: [
          x('virnet', 'virnetprotocol.x'),
          x('keepalive', 'virkeepaliveprotocol.x'),
          x('remote', 'remote_protocol.x'),
          x('qemu', 'qemu_protocol.x'),
          x('lxc', 'lxc_protocol.x'),
          x('admin', 'admin_protocol.x'),
        ],
        apiXml: [
          xml('libvirt-api.xml'),
          xml('libvirt-qemu-api.xml'),
          xml('libvirt-lxc-api.xml'),
          xml('libvirt-admin-api.xml'),
        ],
        libvirtVersion: version,
        runtimeImport: '..',
        emitClients: true,
      },
    },
    {
      dir: 'test/generated',
      input: {
        xFiles: [{ id: 'demo', path: `${demoDir}/demo.x`, text: read(`${demoDir}/demo.x`) }],
        apiXml: [],
        libvirtVersion: version,
        runtimeImport: '../../src',
        emitClients: false,
      },
    },
  ];
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const t of targets()) {
    const files = generate(t.input);
    const dir = join(root, t.dir);
    if (!check) mkdirSync(dir, { recursive: true });
    const existing = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.gen.ts')) : [];
    for (const [name, text] of files) {
      const path = join(dir, name);
      const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
      if (current === text) continue;
      if (check) stale.push(relative(root, path));
      else writeFileSync(path, text);
    }
    for (const name of existing) {
      if (files.has(name)) continue;
      if (check) stale.push(`${relative(root, join(dir, name))} (no longer generated)`);
      else unlinkSync(join(dir, name));
    }
  }
  if (check && stale.length > 0) {
    console.error(`generated code is out of date; run \`npm run gen\`:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  if (check) console.log('generated code is up to date');
}

main();
