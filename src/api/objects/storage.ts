/**
 * `StoragePool`, `StorageVol`, `NodeDevice` and `Secret`: the generated procedure methods plus
 * the accessors libvirt's client answers from the reference.
 *
 * @module
 */
import { brandClass } from '../../errors/brand.js';
import { NodeDeviceBase, objectClasses, SecretBase, StoragePoolBase, StorageVolBase } from '../gen/objects.gen.js';
import { formatUuid } from '../uuid.js';

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
}

for (const [cls, name] of [[StoragePool, 'StoragePool'], [StorageVol, 'StorageVol'], [NodeDevice, 'NodeDevice'], [Secret, 'Secret']] as const) brandClass(cls, name);
objectClasses.StoragePool = StoragePool;
objectClasses.StorageVol = StorageVol;
objectClasses.NodeDevice = NodeDevice;
objectClasses.Secret = Secret;
