/**
 * The typed XML model against libvirt 9.0.0's own test data (fetched once into a shared cache by
 * harness/xml-corpus.ts): every XML file that libvirt's schema test (tests/virschematest.c)
 * checks against a schema, per document kind, is parsed and written back and compared as XML
 * (same elements, attributes and text; siblings of one name in order, test/support/xml-same.ts).
 *
 * - at least 99% of the files of each kind round-trip; the others are exactly those listed in
 *   EXPECTED_DIFFERENCES, each with its reason;
 * - nothing of any file lands in the unknown store (the schema knows all of it): the model reads
 *   what the schema says, it does not only copy it through;
 * - every file validates clean;
 * - libvirt's own output (tests/qemuxml2xmloutdata) is mostly written back byte for byte.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { xmlCorpusDir } from '../../harness/xml-corpus.js';
import { type DocumentKind, parseDocument, serializeDocument, UNKNOWN, type Unknown } from '../../src/api/xml/codec.js';
import { validateDocument } from '../../src/api/xml/validate.js';
import { xmlDifference } from '../support/xml-same.js';

/** The folders tests/virschematest.c checks against each schema (libvirt 9.0.0). */
const CORPUS: Record<DocumentKind, string[]> = {
  domain: [
    'tests/domainschemadata',
    'tests/qemuxml2argvdata',
    'tests/xmconfigdata',
    'tests/qemuxml2xmloutdata',
    'tests/lxcxml2xmldata',
    'tests/lxcxml2xmloutdata',
    'tests/bhyvexml2argvdata',
    'tests/bhyvexml2xmloutdata',
    'tests/genericxml2xmlindata',
    'tests/genericxml2xmloutdata',
    'tests/xlconfigdata',
    'tests/libxlxml2domconfigdata',
    'tests/qemuhotplugtestdomains',
    'examples/xml/test/testdom*',
    'tests/qemuhotplugtestcpus',
    'tests/securityselinuxlabeldata',
    'tests/domainconfdata',
    'tests/lxcconf2xmldata',
    'tests/qemumemlockdata',
    'tests/vmx2xmldata',
    'tests/xml2vmxdata',
    'tests/bhyveargv2xmldata',
    'tests/qemuagentdata',
  ],
  network: [
    'src/network',
    'tests/networkxml2xmlin',
    'tests/networkxml2xmlout',
    'tests/networkxml2confdata',
    'examples/xml/test/testnet*',
    'tests/networkxml2xmlupdateout',
    'tests/networkxml2firewalldata',
  ],
  networkport: ['tests/virnetworkportxml2xmldata'],
  storagepool: [
    'tests/storagepoolxml2xmlin',
    'tests/storagepoolxml2xmlout',
    'tests/storagepoolschemadata',
    'examples/xml/storage/pool-*',
    'examples/xml/test/testpool.xml',
  ],
  storagevol: [
    'tests/storagevolxml2xmlin',
    'tests/storagevolxml2xmlout',
    'tests/storagevolschemadata',
    'examples/xml/storage/vol-*',
    'examples/xml/test/testvol.xml',
  ],
  nodedev: ['tests/nodedevschemadata', 'tests/nodedevxml2xmlout', 'examples/xml/test/testdev.xml'],
  secret: ['tests/secretxml2xmlin'],
  interface: ['tests/interfaceschemadata'],
  nwfilter: ['tests/nwfilterxml2xmlout', 'src/nwfilter/xml', 'tests/nwfilterxml2xmlin', 'tests/nwfilterxml2firewalldata'],
  nwfilterbinding: ['tests/virnwfilterbindingxml2xmldata'],
  domainsnapshot: ['tests/qemudomainsnapshotxml2xmlin', 'tests/qemudomainsnapshotxml2xmlout'],
  domaincheckpoint: ['tests/qemudomaincheckpointxml2xmlin', 'tests/qemudomaincheckpointxml2xmlout'],
  capabilities: ['tests/capabilityschemadata', 'tests/vircaps2xmldata', 'tests/qemucaps2xmloutdata'],
  domaincaps: ['tests/domaincapsdata'],
};

/** Files whose written-back XML differs, with the reason (none today). */
const EXPECTED_DIFFERENCES: Record<string, string> = {};

interface CorpusFile {
  readonly kind: DocumentKind;
  /** Relative to the source tree (`tests/...`). */
  readonly name: string;
  readonly text: string;
}

function filesOf(root: string, kind: DocumentKind, entry: string): CorpusFile[] {
  const star = entry.endsWith('*') || entry.endsWith('.xml');
  const dir = star ? path.dirname(entry) : entry;
  const prefix = entry.endsWith('*') ? path.basename(entry).slice(0, -1) : '';
  const only = entry.endsWith('.xml') ? path.basename(entry) : null;
  // virschematest.c: every *.xml of the folder; a name ending in -invalid.xml must fail, so it is not a round-trip case.
  return fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.xml') && !f.endsWith('-invalid.xml') && f.startsWith(prefix) && (only === null || f === only))
    .sort()
    .map((f) => ({ kind, name: `${dir}/${f}`, text: fs.readFileSync(path.join(root, dir, f), 'utf8') }));
}

function hasUnknown(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if ((v as { kind?: unknown }).kind === 'element') return false; // an open element (<metadata>): any content is expected
  const u = (v as { [UNKNOWN]?: Unknown })[UNKNOWN];
  if (
    u &&
    (u.elements?.length || u.text !== undefined || Object.keys(u.children ?? {}).length || Object.keys(u.attrs ?? {}).some((a) => !a.startsWith('xmlns')))
  )
    return true;
  return Object.values(v).some(hasUnknown);
}

let files: CorpusFile[] = [];

beforeAll(async () => {
  const root = await xmlCorpusDir();
  files = (Object.keys(CORPUS) as DocumentKind[]).flatMap((kind) => CORPUS[kind].flatMap((e) => filesOf(root, kind, e)));
}, 600_000);

describe("libvirt 9.0.0's XML test data through the typed model", () => {
  it('round-trips at least 99% of the files of every kind; the rest are listed with their reason', () => {
    const differences: Record<string, string> = {};
    const lines: string[] = [];
    for (const kind of Object.keys(CORPUS) as DocumentKind[]) {
      const mine = files.filter((f) => f.kind === kind);
      let same = 0;
      for (const f of mine) {
        let diff: string | null;
        try {
          diff = xmlDifference(f.text, serializeDocument(kind, parseDocument(kind, f.text)));
        } catch (err) {
          diff = `threw ${(err as Error).message}`;
        }
        if (diff === null) same++;
        else differences[f.name] = diff;
      }
      const pct = (100 * same) / mine.length;
      lines.push(`${kind}: ${same}/${mine.length} (${pct.toFixed(2)}%)`);
      expect(mine.length, `${kind} has test data`).toBeGreaterThan(0);
      expect(pct, `${kind} round trips`).toBeGreaterThanOrEqual(99);
    }
    console.log(`XML round trip, libvirt 9.0.0 test data:\n  ${lines.join('\n  ')}\n  total files: ${files.length}`);
    expect(Object.keys(differences).sort()).toEqual(Object.keys(EXPECTED_DIFFERENCES).sort());
  });

  it("writes libvirt's own output back byte for byte, mostly (the order it was read in, libvirt's escaping)", () => {
    const written = files.filter((f) => f.name.startsWith('tests/qemuxml2xmloutdata/'));
    const same = written.filter((f) => serializeDocument('domain', parseDocument('domain', f.text)) === f.text).length;
    console.log(`byte-identical after a read and a write: ${same}/${written.length} files of tests/qemuxml2xmloutdata (libvirt's formatter output)`);
    // The rest: <metadata> content that libxml2 wrote with double quotes, an empty element written open.
    expect(same / written.length).toBeGreaterThanOrEqual(0.95);
  });

  it('reads every element and attribute of the files with the schema (nothing left unknown)', () => {
    const unknown = files.filter((f) => hasUnknown(parseDocument(f.kind, f.text))).map((f) => f.name);
    expect(unknown).toEqual([]);
  });

  it('validates the parsed files clean', () => {
    const problems: string[] = [];
    for (const f of files) {
      const found = validateDocument(f.kind, parseDocument(f.kind, f.text));
      if (found.length)
        problems.push(
          `${f.name}: ${found
            .slice(0, 3)
            .map((p) => `${p.path}: ${p.message}`)
            .join('; ')}`,
        );
    }
    console.log(`validator: ${files.length - problems.length}/${files.length} files clean`);
    expect(problems).toEqual([]);
  });
});
