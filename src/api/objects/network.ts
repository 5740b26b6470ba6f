/**
 * `Network`, `NetworkPort`, `NWFilter`, `NWFilterBinding` and `Interface`: the generated
 * procedure methods plus the accessors libvirt's client answers from the reference.
 *
 * @module
 */
import { brandClass } from '../../errors/brand.js';
import { InterfaceBase, NetworkBase, NetworkPortBase, NWFilterBase, NWFilterBindingBase, objectClasses } from '../gen/objects.gen.js';
import type { CallOptions } from '../../rpc/procedure.js';
import { formatUuid } from '../uuid.js';
import type { InterfaceDef, NetworkDef, NetworkPortDef, NWFilterBindingDef, NWFilterDef } from '../xml/types.gen.js';
import { readDefinition, writeDefinition, type DefinitionOptions } from './definitions.js';

/** A virtual network. */
export class Network extends NetworkBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string; uuid: string } {
    return { name: this.name, uuid: this.uuidString };
  }

  /** The network's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The UUID's 16 bytes, a copy (`virNetworkGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virNetworkGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** The network's definition, typed (`virNetworkGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<NetworkDef> {
    return await readDefinition<NetworkDef>('network', await this.getXMLDesc(flags, options));
  }

  /** `virNetworkPortCreateXML` with a typed definition (validated first, see {@link DefinitionOptions}). */
  async createPort(def: NetworkPortDef, flags = 0, options?: DefinitionOptions): Promise<NetworkPort> {
    return await this.portCreateXML(await writeDefinition('networkport', def, options), flags, options);
  }
}

/** A port of a virtual network. */
export class NetworkPort extends NetworkPortBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { network: string; uuid: string } {
    return { network: this.ref.net.name, uuid: this.uuidString };
  }

  /** The UUID's 16 bytes, a copy (`virNetworkPortGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virNetworkPortGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** The network the port belongs to (`virNetworkPortGetNetwork`). */
  get network(): Network {
    return new Network(this.connection, this.ref.net);
  }

  /** The network port's definition, typed (`virNetworkPortGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<NetworkPortDef> {
    return await readDefinition<NetworkPortDef>('networkport', await this.getXMLDesc(flags, options));
  }
}

/** A network filter. */
export class NWFilter extends NWFilterBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string; uuid: string } {
    return { name: this.name, uuid: this.uuidString };
  }

  /** The filter's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The UUID's 16 bytes, a copy (`virNWFilterGetUUID`). */
  get uuid(): Uint8Array {
    return Uint8Array.from(this.ref.uuid);
  }

  /** The UUID as libvirt formats it (`virNWFilterGetUUIDString`). */
  get uuidString(): string {
    return formatUuid(this.ref.uuid);
  }

  /** The filter's definition, typed (`virNWFilterGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<NWFilterDef> {
    return await readDefinition<NWFilterDef>('nwfilter', await this.getXMLDesc(flags, options));
  }
}

/** A network filter binding. */
export class NWFilterBinding extends NWFilterBindingBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { portDev: string; filterName: string } {
    return { portDev: this.portDev, filterName: this.filterName };
  }

  /** The port device the binding is for (`virNWFilterBindingGetPortDev`). */
  get portDev(): string {
    return this.ref.portdev;
  }

  /** The name of the filter bound (`virNWFilterBindingGetFilterName`). */
  get filterName(): string {
    return this.ref.filtername;
  }

  /** The filter binding's definition, typed (`virNWFilterBindingGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<NWFilterBindingDef> {
    return await readDefinition<NWFilterBindingDef>('nwfilterbinding', await this.getXMLDesc(flags, options));
  }
}

/** A host network interface. */
export class Interface extends InterfaceBase {
  /** What `JSON.stringify` writes of it: what identifies it, not its connection. */
  toJSON(): { name: string; mac: string } {
    return { name: this.name, mac: this.macString };
  }

  /** The interface's name. */
  get name(): string {
    return this.ref.name;
  }

  /** The interface's MAC address (`virInterfaceGetMACString`). */
  get macString(): string {
    return this.ref.mac;
  }

  /** The interface's definition, typed (`virInterfaceGetXMLDesc` read with libvirt-rpc/xml's model). */
  async getDefinition(flags = 0, options?: CallOptions): Promise<InterfaceDef> {
    return await readDefinition<InterfaceDef>('interface', await this.getXMLDesc(flags, options));
  }
}

for (const [cls, name] of [
  [Network, 'Network'],
  [NetworkPort, 'NetworkPort'],
  [NWFilter, 'NWFilter'],
  [NWFilterBinding, 'NWFilterBinding'],
  [Interface, 'Interface'],
] as const)
  brandClass(cls, name);
objectClasses.Network = Network;
objectClasses.NetworkPort = NetworkPort;
objectClasses.NWFilter = NWFilter;
objectClasses.NWFilterBinding = NWFilterBinding;
objectClasses.Interface = Interface;
