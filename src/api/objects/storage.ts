/**
 * `StoragePool`, `StorageVol`, `NodeDevice` and `Secret`: the generated procedure methods plus
 * the accessors libvirt's client answers from the reference.
 *
 * @module
 */
import { brandClass } from '../../errors/brand.js';
import { NodeDeviceBase, objectClasses, SecretBase, StoragePoolBase, StorageVolBase } from '../gen/objects.gen.js';
import type { CallOptions } from '../../rpc/procedure.js';
import { formatUuid } from '../uuid.js';
import type { NodeDeviceDef, SecretDef, StoragePoolDef, StorageVolDef } from '../xml/types.gen.js';
import { readDefinition, writeDefinition, type DefinitionOptions } from './definitions.js';

/** A storage pool. */
export class StoragePool extends StoragePoolBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string; uuid: string } {
    return { name: this.name, uuid: this.uuidString };
  }

  /** The pool's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The UUID's 16 bytes, a copy (`virStoragePoolGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virStoragePoolGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** The pool's definition, typed (`virStoragePoolGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<StoragePoolDef> {
    return await readDefinition<StoragePoolDef>('storagepool', await this.getXMLDesc(flags, options));
  }

  /** `virStorageVolCreateXML` with a typed definition (validated first, see {@link DefinitionOptions}). */
  async createVolume(def: StorageVolDef, flags = 0, options?: DefinitionOptions): Promise<StorageVol> {
    return await this.storageVolCreateXML(await writeDefinition('storagevol', def, options), flags, options);
  }
}

/** A storage volume. */
export class StorageVol extends StorageVolBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string; pool: string; key: string } {
    return { name: this.name, pool: this.poolName, key: this.key };
  }

  /** The volume's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The volume's key, unique on the host (`virStorageVolGetKey`). */
  get key(): string {
    return this.ref.key;
  }

  /** The name of the pool the volume belongs to. */
  get poolName(): string {
    return this.ref.pool;
  }

  /** The volume's definition, typed (`virStorageVolGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<StorageVolDef> {
    return await readDefinition<StorageVolDef>('storagevol', await this.getXMLDesc(flags, options));
  }
}

/** A host device. */
export class NodeDevice extends NodeDeviceBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string } {
    return { name: this.name };
  }

  /** The device's name (`virNodeDeviceGetName`). */
  get name(): string {
    return this.ref.name;
  }

  /** The device's definition, typed (`virNodeDeviceGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<NodeDeviceDef> {
    return await readDefinition<NodeDeviceDef>('nodedev', await this.getXMLDesc(flags, options));
  }
}

/** A secret. */
export class Secret extends SecretBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { uuid: string; usageType: number; usageID: string } {
    return { uuid: this.uuidString, usageType: this.usageType, usageID: this.usageID };
  }

  /** The UUID's 16 bytes, a copy (`virSecretGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virSecretGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** What the secret is for, a `VIR_SECRET_USAGE_TYPE_*` (`virSecretGetUsageType`). */
  get usageType(): number {
    return this.ref.usageType;
  }

  /** The secret's usage ID (`virSecretGetUsageID`). */
  get usageID(): string {
    return this.ref.usageID;
  }

  /** The secret's definition, typed (`virSecretGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<SecretDef> {
    return await readDefinition<SecretDef>('secret', await this.getXMLDesc(flags, options));
  }
}

for (const [cls, name] of [
  [StoragePool, 'StoragePool'],
  [StorageVol, 'StorageVol'],
  [NodeDevice, 'NodeDevice'],
  [Secret, 'Secret'],
] as const)
  brandClass(cls, name);
objectClasses.StoragePool = StoragePool;
objectClasses.StorageVol = StorageVol;
objectClasses.NodeDevice = NodeDevice;
objectClasses.Secret = Secret;
