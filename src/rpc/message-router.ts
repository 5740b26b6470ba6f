/**
 * Routes the asynchronous MESSAGE packets of a connection (events) to the listeners registered
 * per program, as `virNetClientProgramDispatch` does in libvirt's src/rpc/virnetclientprogram.c;
 * see {@link MessageRouter.on} for where it differs.
 */
import { XdrReader } from '../xdr/reader.js';
import { VirNetMessageStatus, VirNetMessageType } from '../procedures/virnet.gen.js';
import { ProtocolError } from './errors.js';
import type { Frame, FrameHeader } from './frame.js';
import type { Procedure } from './procedure.js';
import type { Diagnostic, IncomingMessage, MessageListener } from './client-types.js';

const { VIR_NET_OK } = VirNetMessageStatus;

export class MessageRouter {
  private readonly listeners = new Map<number, Set<MessageListener>>();
  /** MESSAGE packets dropped: no listener for their program, or a status other than OK. */
  dropped = 0;

  /**
   * @param diagnose reports dropped and undecodable messages.
   * @param guard runs a listener, reporting what it throws.
   */
  constructor(
    private readonly diagnose: (d: Diagnostic) => void,
    private readonly guard: (fn: () => void) => void,
  ) {}

  /**
   * Registers `listener` for the MESSAGE packets of `program`; returns a function that
   * unregisters it.
   *
   * As in libvirt, a MESSAGE whose status is not OK is dropped. Unlike libvirt, which closes the
   * connection on a MESSAGE for a program it did not register, one with no listener is only
   * dropped (and reported as a diagnostic): listeners come and go with event registrations.
   */
  on(program: number, listener: MessageListener): () => void {
    let set = this.listeners.get(program);
    if (!set) this.listeners.set(program, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.listeners.get(program);
      if (s?.delete(listener) && s.size === 0) this.listeners.delete(program);
    };
  }

  /**
   * Registers `listener` for one event procedure, decoding its payload with the procedure's
   * `args` codec (the `_msg` struct). Packets of another version, or that do not decode, are
   * dropped (as libvirt does) and reported as `bad-event` diagnostics.
   */
  onEvent<A>(proc: Procedure<A, unknown>, listener: (value: A, message: IncomingMessage) => void): () => void {
    const codec = proc.args;
    return this.on(proc.programNumber, (msg) => {
      if (msg.procedure !== proc.number) return;
      const header = messageHeader(msg);
      if (msg.version !== proc.version) {
        this.diagnose({ kind: 'bad-event', header, error: new ProtocolError(`version mismatch in event ${proc.name}`) });
        return;
      }
      let value: A;
      try {
        const r = new XdrReader(msg.payload);
        value = codec ? codec.decode(r) : (undefined as A);
        if (r.remaining > 0) this.diagnose({ kind: 'trailing-bytes', header, bytes: r.remaining });
      } catch (error) {
        this.diagnose({ kind: 'bad-event', header, error });
        return;
      }
      listener(value, msg);
    });
  }

  /** Hands `frame` to its program's listeners in registration order, while `isOpen()` holds. */
  dispatch(frame: Frame, isOpen: () => boolean): void {
    const h = frame.header;
    const set = this.listeners.get(h.prog);
    if (!set || h.status !== VIR_NET_OK) {
      this.dropped++;
      this.diagnose({ kind: 'unhandled-message', header: h });
      return;
    }
    const msg: IncomingMessage = {
      program: h.prog,
      version: h.vers,
      procedure: h.proc,
      serial: h.serial,
      payload: frame.payload,
    };
    for (const listener of [...set]) {
      this.guard(() => listener(msg));
      if (!isOpen()) return;
    }
  }
}

function messageHeader(msg: IncomingMessage): FrameHeader {
  return {
    prog: msg.program,
    vers: msg.version,
    proc: msg.procedure,
    type: VirNetMessageType.VIR_NET_MESSAGE,
    serial: msg.serial,
    status: VIR_NET_OK,
  };
}
