/**
 * `StoragePool`, `StorageVol`, `NodeDevice` and `Secret`: the generated procedure methods plus
 * the accessors libvirt's client answers from the reference.
 *
 * @module
 */
import { brandClass } from '../../brand.js';
import { NodeDeviceBase, objectClasses, SecretBase, StoragePoolBase, StorageVolBase } from '../gen/objects.gen.js';
import { formatUuid } from '../uuid.js';

/** A storage pool. */
export class StoragePool extends StoragePoolBase {
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
  /** The device's name (`virNodeDeviceGetName`). */
  get name(): string {
    return this.ref.name;
  }
}

/** A secret. */
export class Secret extends SecretBase {
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
