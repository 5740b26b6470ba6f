/**
 * `Domain`, `DomainSnapshot` and `DomainCheckpoint`: the generated procedure methods
 * (src/api/gen/objects.gen.ts) plus what libvirt's client library and libvirt-python do on the
 * client side: accessors read from the reference, the ID refreshed after a start or a
 * destroy, migration, and the getters whose wire counts need other calls.
 *
 * @module
 */
import { brandClass } from '../../errors/brand.js';
import { VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, VIR_TYPED_PARAM_STRING_OKAY, virDomainMemoryStatTags } from '../../procedures/libvirt-api.gen.js';
import { remoteProcedures as P, type RemoteNonnullDomain } from '../../procedures/remote-core.gen.js';
import type { CallOptions, ProcedureCaller } from '../../rpc/procedure.js';
import { unknownCauseError } from '../client-errors.js';
import { DomainBase, DomainCheckpointBase, DomainSnapshotBase, objectClasses, type SecurityLabel } from '../gen/objects.gen.js';
import {
  readDomainDisks,
  readDomainInterfaces,
  type DomainDeviceReadOptions,
  type DomainDiskRow,
  type DomainDisksOptions,
  type DomainInterfaceRow,
} from '../domain-devices.js';
import type { MigrateBandwidth } from '../migrate/index.js';
import { formatUuid } from '../uuid.js';
import type { DomainCheckpointDef, DomainDef, DomainSnapshotDef } from '../xml/types.gen.js';
import { readDefinition, writeDefinition, type DefinitionOptions } from './definitions.js';
import { cpuMapBits, fixedString, recordOf, typedParamsToWire, withJson, type TypedParams, type TypedParamsInput } from '../values.js';

/** The migration drivers (src/api/migrate/), loaded by the first migration, not by importing the package. */
const migration = () => import('../migrate/index.js');

/** One virtual CPU as `virDomainGetVcpus` reports it. */
export interface VcpuInfo {
  /** The vCPU's number. */
  readonly number: number;
  /** `VIR_VCPU_*` state. */
  readonly state: number;
  /** CPU time used, in nanoseconds. */
  readonly cpuTime: bigint;
  /** The host CPU it runs on (-1 when offline). */
  readonly cpu: number;
}

/** The host's CPU count, from NODE_GET_CPU_MAP (what libvirt-python sizes CPU maps with). */
async function hostCpus(caller: ProcedureCaller, options?: CallOptions): Promise<number> {
  return (await caller.call(P.REMOTE_PROC_NODE_GET_CPU_MAP, { need_map: 0, need_online: 0, flags: 0 }, options)).ret;
}

/** libvirt-python's names of `virDomainMemoryStatTags` (`VIR_DOMAIN_MEMORY_STAT_SWAP_IN` → `swap_in`), built at first use. */
let memoryStatNames: Map<number, string> | null = null;

function memoryStatNamesByTag(): Map<number, string> {
  memoryStatNames ??= new Map<number, string>(
    Object.entries(virDomainMemoryStatTags)
      .filter(([k]) => k !== 'VIR_DOMAIN_MEMORY_STAT_NR' && k !== 'VIR_DOMAIN_MEMORY_STAT_LAST')
      .map(([k, v]) => [v, v === VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON ? 'actual' : k.replace('VIR_DOMAIN_MEMORY_STAT_', '').toLowerCase()]),
  );
  return memoryStatNames;
}

/** A domain (virtual machine): every API that acts on it. */
export class Domain extends DomainBase {
  /** The domain's name. */
  get name(): string {
    return this.ref.name;
  }

  /**
   * The domain's ID (`virDomainGetID`): -1 for an inactive domain. As in libvirt's client it is
   * the one the domain had when looked up, refreshed by `create`, `createWithFlags`, `destroy`
   * and `destroyFlags` made through this object.
   */
  get id(): number {
    return this.ref.id;
  }

  /** The UUID's 16 bytes, a copy (`virDomainGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virDomainGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** What `JSON.stringify` writes of a domain: its name, UUID and ID (not its connection). */
  toJSON(): { name: string; uuid: string; id: number } {
    return { name: this.name, uuid: this.uuidString, id: this.id };
  }

  /**
   * The domain's disks as `virsh domblklist [--details] [--inactive]` lists them: target, source
   * (null where virsh prints `-`), and with `details` type and device. `inactive` reads the
   * persistent configuration.
   */
  async disks(options: DomainDisksOptions & DomainDeviceReadOptions = {}): Promise<DomainDiskRow[]> {
    return await readDomainDisks(this, options);
  }

  /** The domain's network interfaces as `virsh domiflist [--inactive]` lists them. */
  async interfaces(options: DomainDeviceReadOptions = {}): Promise<DomainInterfaceRow[]> {
    return await readDomainInterfaces(this, options);
  }

  /**
   * The domain's definition, typed (`virDomainGetXMLDesc` read with libvirt-rpc/xml's model;
   * `flags`: `VIR_DOMAIN_XML_*`, e.g. VIR_DOMAIN_XML_INACTIVE for the persistent configuration).
   */
  async getDefinition(flags = 0, options?: CallOptions): Promise<DomainDef> {
    return await readDefinition<DomainDef>('domain', await this.getXMLDesc(flags, options));
  }

  /** `virDomainSnapshotCreateXML` with a typed definition (validated first, see {@link DefinitionOptions}). */
  async createSnapshot(def: DomainSnapshotDef = {}, flags = 0, options?: DefinitionOptions): Promise<DomainSnapshot> {
    return await this.snapshotCreateXML(await writeDefinition('domainsnapshot', def, options), flags, options);
  }

  /** `virDomainCheckpointCreateXML` with a typed definition (validated first, see {@link DefinitionOptions}). */
  async createCheckpoint(def: DomainCheckpointDef = {}, flags = 0, options?: DefinitionOptions): Promise<DomainCheckpoint> {
    return await this.checkpointCreateXML(await writeDefinition('domaincheckpoint', def, options), flags, options);
  }

  /** `virDomainCreate`; then, as libvirt's remote driver does, looks the domain up again for its new ID. */
  override async create(options?: CallOptions): Promise<void> {
    await super.create(options);
    this.ref = (await this.connection.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, { uuid: this.ref.uuid }, options)).dom;
  }

  /** `virDomainCreateWithFlags`; the daemon's reply carries the new ID, kept here as libvirt does. */
  async createWithFlags(flags = 0, options?: CallOptions): Promise<void> {
    const { dom } = await this.connection.call(P.REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS, { dom: this.ref, flags }, options);
    this.ref = { ...this.ref, id: dom.id };
  }

  /** `virDomainDestroy`; the ID becomes -1, as libvirt's remote driver sets it. */
  override async destroy(options?: CallOptions): Promise<void> {
    await super.destroy(options);
    this.ref = { ...this.ref, id: -1 };
  }

  /** `virDomainDestroyFlags`; the ID becomes -1, as libvirt's remote driver sets it. */
  override async destroyFlags(flags = 0, options?: CallOptions): Promise<void> {
    await super.destroyFlags(flags, options);
    this.ref = { ...this.ref, id: -1 };
  }

  /**
   * `virDomainGetVcpus`: each vCPU's state and the host CPUs it may run on (one boolean per
   * host CPU). The wire counts are the domain's vCPUs and the host's CPUs, as libvirt-python
   * computes them.
   */
  async getVcpus(options?: CallOptions): Promise<{ info: VcpuInfo[]; cpumaps: boolean[][] }> {
    const [{ nrVirtCpu }, cpus] = await Promise.all([this.getInfo(options), hostCpus(this.connection, options)]);
    const maplen = (cpus + 7) >> 3;
    const r = await this.connection.call(P.REMOTE_PROC_DOMAIN_GET_VCPUS, { dom: this.ref, maxinfo: nrVirtCpu, maplen }, options);
    const info = r.info.map((v) => withJson({ number: v.number, state: v.state, cpuTime: v.cpu_time, cpu: v.cpu }));
    return { info, cpumaps: info.map((_, i) => cpuMapBits(r.cpumaps, i * maplen, cpus)) };
  }

  /** `virDomainGetVcpuPinInfo`: for each vCPU, the host CPUs it is pinned to (one boolean per host CPU). */
  async getVcpuPinInfo(flags = 0, options?: CallOptions): Promise<boolean[][]> {
    const [{ nrVirtCpu }, cpus] = await Promise.all([this.getInfo(options), hostCpus(this.connection, options)]);
    const maplen = (cpus + 7) >> 3;
    const r = await this.connection.call(P.REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO, { dom: this.ref, ncpumaps: nrVirtCpu, maplen, flags }, options);
    return Array.from({ length: r.num }, (_, i) => cpuMapBits(r.cpumaps, i * maplen, cpus));
  }

  /** `virDomainGetEmulatorPinInfo`: the host CPUs the emulator threads are pinned to. */
  async getEmulatorPinInfo(flags = 0, options?: CallOptions): Promise<boolean[]> {
    const cpus = await hostCpus(this.connection, options);
    const r = await this.connection.call(P.REMOTE_PROC_DOMAIN_GET_EMULATOR_PIN_INFO, { dom: this.ref, maplen: (cpus + 7) >> 3, flags }, options);
    return cpuMapBits(r.cpumaps, 0, cpus);
  }

  /**
   * `virDomainGetCPUStats`: CPU statistics, one record per host CPU from `startCpu` (`ncpus` of
   * them), or with `startCpu` -1 and `ncpus` 1 the domain's total, as a one-record array.
   * As libvirt's client, it adds VIR_TYPED_PARAM_STRING_OKAY to `flags`.
   */
  async getCPUStats(startCpu: number, ncpus: number, flags = 0, options?: CallOptions): Promise<TypedParams[]> {
    const wireFlags = (flags | VIR_TYPED_PARAM_STRING_OKAY) >>> 0;
    const ask = (nparams: number) =>
      this.connection.call(P.REMOTE_PROC_DOMAIN_GET_CPU_STATS, { dom: this.ref, nparams, start_cpu: startCpu, ncpus, flags: wireFlags }, options);
    const n = (await ask(0)).nparams;
    if (n === 0) return [];
    const { params } = await ask(n);
    const out: TypedParams[] = [];
    for (let i = 0; i < params.length; i += n) out.push(recordOf(params.slice(i, i + n)));
    return out;
  }

  /**
   * `virDomainGetSecurityLabelList`: the security labels of an active domain. When the driver
   * fails, the daemon replies with `ret` -1 and no labels instead of an error
   * (remoteDispatchDomainGetSecurityLabelList); libvirt's client returns that -1 with nothing
   * reported, which becomes its generic "An error occurred, but the cause is unknown", as here.
   */
  async getSecurityLabelList(options?: CallOptions): Promise<SecurityLabel[]> {
    const r = await this.connection.call(P.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL_LIST, { dom: this.ref }, options);
    if (r.ret < 0) throw unknownCauseError();
    return r.labels.map((l) => ({ label: fixedString(l.label), enforcing: l.enforcing !== 0 }));
  }

  /** `virDomainMemoryStats`: a record keyed by libvirt-python's names (`actual`, `rss`, `swap_in`, ...). */
  async memoryStats(flags = 0, options?: CallOptions): Promise<Record<string, number>> {
    const names = memoryStatNamesByTag();
    const { stats } = await this.connection.call(P.REMOTE_PROC_DOMAIN_MEMORY_STATS, { dom: this.ref, maxStats: names.size, flags }, options);
    return Object.fromEntries(stats.map((s) => [names.get(s.tag) ?? String(s.tag), Number(s.val)]));
  }

  /**
   * `virDomainMigrate`, driven by this client as libvirt's does (see src/api/migrate.ts): the
   * migration procedures of both daemons (v3, else v2, else v1: the newest both support), or
   * one Perform call to the source with VIR_MIGRATE_PEER2PEER. Resolves with the domain on `dconn`.
   */
  async migrate(
    dconn: ProcedureCaller,
    flags = 0,
    dname: string | null = null,
    uri: string | null = null,
    bandwidth: MigrateBandwidth = 0,
    options?: CallOptions,
  ): Promise<Domain> {
    const { migrateDomain } = await migration();
    return new Domain(dconn, await migrateDomain(this.connection, this.ref, dconn, { api: 'virDomainMigrate', flags, dname, uri, bandwidth }, options));
  }

  /** `virDomainMigrate2`: {@link Domain.migrate} with the XML to start the domain with on `dconn`. */
  async migrate2(
    dconn: ProcedureCaller,
    dxml: string | null = null,
    flags = 0,
    dname: string | null = null,
    uri: string | null = null,
    bandwidth: MigrateBandwidth = 0,
    options?: CallOptions,
  ): Promise<Domain> {
    const { migrateDomain } = await migration();
    return new Domain(dconn, await migrateDomain(this.connection, this.ref, dconn, { api: 'virDomainMigrate2', flags, dxml, dname, uri, bandwidth }, options));
  }

  /**
   * `virDomainMigrate3`: the `*Params` migration procedures of both daemons when both support
   * them, else the fixed-argument sequences when the parameters are only those they carry.
   */
  async migrate3(dconn: ProcedureCaller, params: TypedParamsInput = {}, flags = 0, options?: CallOptions): Promise<Domain> {
    const wire = typedParamsToWire(params, 'params');
    const { migrateDomain3 } = await migration();
    return new Domain(dconn, await migrateDomain3(this.connection, this.ref, dconn, wire, flags, options));
  }

  /** `virDomainMigrateToURI`: one Perform call to the source daemon, peer to peer or direct. */
  async migrateToURI(duri: string, flags = 0, dname: string | null = null, bandwidth: MigrateBandwidth = 0, options?: CallOptions): Promise<void> {
    const { migrateDomainToUri } = await migration();
    await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI', flags, dconnuri: duri, dname, bandwidth }, options);
  }

  /** `virDomainMigrateToURI2`: {@link Domain.migrateToURI} with a migration URI and destination XML. */
  async migrateToURI2(
    dconnuri: string | null = null,
    miguri: string | null = null,
    dxml: string | null = null,
    flags = 0,
    dname: string | null = null,
    bandwidth: MigrateBandwidth = 0,
    options?: CallOptions,
  ): Promise<void> {
    const { migrateDomainToUri } = await migration();
    await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI2', flags, dconnuri, miguri, dxml, dname, bandwidth }, options);
  }

  /** `virDomainMigrateToURI3`: {@link Domain.migrateToURI} with migration parameters. */
  async migrateToURI3(dconnuri: string | null, params: TypedParamsInput = {}, flags = 0, options?: CallOptions): Promise<void> {
    const wire = typedParamsToWire(params, 'params');
    const { migrateDomainToUri } = await migration();
    await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI3', flags, dconnuri, params: wire }, options);
  }
}

/** A domain snapshot. */
export class DomainSnapshot extends DomainSnapshotBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { domain: string; name: string } {
    return { domain: this.ref.dom.name, name: this.name };
  }

  /** The snapshot's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The domain of the snapshot (`virDomainSnapshotGetDomain`). */
  get domain(): Domain {
    return new Domain(this.connection, this.ref.dom);
  }

  /** The snapshot's definition, typed (`virDomainSnapshotGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<DomainSnapshotDef> {
    return await readDefinition<DomainSnapshotDef>('domainsnapshot', await this.getXMLDesc(flags, options));
  }
}

/** A domain checkpoint. */
export class DomainCheckpoint extends DomainCheckpointBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { domain: string; name: string } {
    return { domain: this.ref.dom.name, name: this.name };
  }

  /** The checkpoint's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The domain of the checkpoint (`virDomainCheckpointGetDomain`). */
  get domain(): Domain {
    return new Domain(this.connection, this.ref.dom);
  }

  /** The checkpoint's definition, typed (`virDomainCheckpointGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<DomainCheckpointDef> {
    return await readDefinition<DomainCheckpointDef>('domaincheckpoint', await this.getXMLDesc(flags, options));
  }
}

for (const [cls, name] of [
  [Domain, 'Domain'],
  [DomainSnapshot, 'DomainSnapshot'],
  [DomainCheckpoint, 'DomainCheckpoint'],
] as const)
  brandClass(cls, name);
objectClasses.Domain = Domain;
objectClasses.DomainSnapshot = DomainSnapshot;
objectClasses.DomainCheckpoint = DomainCheckpoint;

/** A domain's reference, for code that holds one from the wire. */
export type DomainRef = RemoteNonnullDomain;
