/**
 * What `npm run gen` generates: the input files of each output folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratorInput } from './generate.js';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

/** The libvirt release named in protocol/PROVENANCE.md ("Main set: libvirt X.Y.Z"). */
export function libvirtVersion(): string {
  const m = /Main set: libvirt (\d+\.\d+\.\d+)/.exec(read('protocol/PROVENANCE.md'));
  if (!m) throw new Error('protocol/PROVENANCE.md does not name the libvirt release');
  return m[1];
}

/** One output folder (relative to the root) and the generator input that fills it. */
export interface Target {
  /** Where the generated TypeScript goes. */
  readonly dir: string;
  /** Where the generated raw and object layers (`api/*.gen.ts` outputs) go. */
  readonly apiDir?: string;
  /** Where generated Markdown (`*.gen.md`) goes, when the target makes any. */
  readonly docsDir?: string;
  readonly input: GeneratorInput;
}

/** Every output folder: `src/procedures` from `protocol/`, `test/generated` from upstream's demo.x. */
export function targets(): Target[] {
  const version = libvirtVersion();
  const x = (id: string, file: string) => ({ id, path: `protocol/${file}`, text: read(`protocol/${file}`) });
  const xml = (file: string) => ({ path: `protocol/api-xml/${file}`, text: read(`protocol/api-xml/${file}`) });
  const demoDir = 'test/fixtures/upstream/test-vectors/rpcgen';
  return [
    {
      dir: 'src/procedures',
      apiDir: 'src/api/gen',
      docsDir: 'docs',
      input: {
        xFiles: [
          x('virnet', 'virnetprotocol.x'),
          x('keepalive', 'virkeepaliveprotocol.x'),
          x('remote', 'remote_protocol.x'),
          x('qemu', 'qemu_protocol.x'),
          x('lxc', 'lxc_protocol.x'),
          x('admin', 'admin_protocol.x'),
        ],
        apiXml: [xml('libvirt-api.xml'), xml('libvirt-qemu-api.xml'), xml('libvirt-lxc-api.xml'), xml('libvirt-admin-api.xml')],
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
