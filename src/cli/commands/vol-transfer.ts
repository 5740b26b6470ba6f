/**
 * vol-upload and vol-download (tools/virsh-volume.c), over libvirt-rpc's
 * streams, with virsh's messages and exit status in every failure: the file
 * is opened once before the stream (so a named pipe works whenever its other
 * end opens), a download into a pipe whose reader has gone ends as virsh's
 * SIGPIPE does, and a failed download removes the file it created.
 */
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { pipeToFile, sendFile, StreamFileError, type LibvirtStream } from '../../api/stream.js';
import { VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullStorageVol } from '../../procedures/remote.gen.js';
import { volOf } from '../support/lookup.js';
import { VOL_GROUP } from './storage.js';
import { CliError, type ParsedOptions, SignalExit, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { flag, valueOpt, VOL, VOL_POOL } from '../support/options.js';
import { numberOpt } from '../support/numbers.js';
import { progressReport, wantsProgress } from '../support/progress.js';
import { strerrorOf } from '../support/strerror.js';
import { vshFail } from '../support/failures.js';

/** vol-upload / vol-download's options. */
const transferOptions = (verb: 'upload' | 'download'): readonly OptionSpec[] => [
  VOL,
  valueOpt('file', 'string', 'file', { required: true }),
  VOL_POOL,
  // VSH_OT_INT options without VSH_OFLAG_REQ_OPT: positional too, after [--pool].
  { name: 'offset', kind: 'int', positional: true, help: `volume offset to ${verb} ${verb === 'upload' ? 'to' : 'from'}` },
  { name: 'length', kind: 'int', positional: true, help: `amount of data to ${verb}` },
  flag('sparse', 'preserve sparseness of volume'),
];

/** What vol-upload and vol-download read from their options, in virsh's order of checks. */
async function transferTarget(
  ctx: CommandContext,
  opts: ParsedOptions,
): Promise<{ offset: bigint; length: bigint; text: string; vol: RemoteNonnullStorageVol; file: string }> {
  const offset = numberOpt(opts, 'offset', 'ullong') ?? 0n;
  const length = numberOpt(opts, 'length', 'ullong-wrap') ?? 0n;
  const text = opts.required('vol');
  const vol = await volOf(ctx.conn, opts);
  return { offset, length, text, vol, file: opts.required('file') };
}

/** libvirt's names of the stream handlers whose failure a StreamFileError reports (virStreamSparseRecvAll, virStreamSendAll). */
const HANDLER = { write: 'recv handler', hole: 'recv holeHandler', read: 'send handler' } as const;

/**
 * The error virsh prints for a failed transfer: its own line, then libvirt's
 * ("recv handler failed: No space left on device" for the file side). A
 * write into a pipe nobody reads any more is virsh's death by SIGPIPE.
 */
function transferFailed(message: string, err: unknown): Error {
  if (err instanceof StreamFileError) {
    if (err.errno === 'EPIPE') return new SignalExit('SIGPIPE', 141);
    const cause = err.cause as Error;
    return new CliError([message, `${HANDLER[err.op]} failed: ${strerrorOf(err.errno) ?? cause.message}`], { cause: err });
  }
  return vshFail(message, err);
}

/** What an upload will send, for --progress: the file's size (from its position), at most --length; null for a pipe. */
async function uploadTotal(fh: FileHandle, length: bigint): Promise<number | null> {
  const st = await fh.stat().catch(() => null);
  if (!st?.isFile()) return length > 0n ? Number(length) : null;
  return length > 0n && Number(length) < st.size ? Number(length) : st.size;
}

/** What a download will receive, for --progress: --length, else the volume's capacity past --offset (null when unknown). */
async function downloadTotal(ctx: CommandContext, vol: RemoteNonnullStorageVol, offset: bigint, length: bigint): Promise<number | null> {
  const info = await ctx.conn.raw.storageVolGetInfo(vol).catch(() => null);
  const rest = info ? Number(info.capacity - offset) : null;
  if (length > 0n) return rest === null ? Number(length) : Math.min(Number(length), rest);
  return rest !== null && rest >= 0 ? rest : null;
}

async function closeQuietly(fh: FileHandle): Promise<void> {
  await fh.close().catch(() => {});
}

const vsUpload: CommandSpec = {
  name: 'vol-upload',
  group: VOL_GROUP,
  help: 'upload file contents to a volume',
  description: 'Upload file contents to a volume',
  options: transferOptions('upload'),
  extensions: ['progress'],
  async run(ctx, opts) {
    const { offset, length, text, vol, file } = await transferTarget(ctx, opts);
    let fh: FileHandle;
    try {
      fh = await open(file, constants.O_RDONLY);
    } catch {
      throw new CliError([`cannot read ${file}`]);
    }
    try {
      const sparse = opts.bool('sparse');
      let stream: LibvirtStream;
      try {
        stream = await ctx.conn.raw.storageVolUpload(vol, offset, length, sparse ? VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM : 0);
      } catch (err) {
        throw vshFail(`cannot upload to volume ${text}`, err);
      }
      const report = progressReport(ctx, 'vol-upload', wantsProgress(opts) ? await uploadTotal(fh, length) : null, wantsProgress(opts));
      try {
        report.finish(await sendFile(fh, stream, { detectHoles: sparse, onProgress: (n) => report.update(n) }));
      } catch (err) {
        throw transferFailed(`cannot send data to volume ${text}`, err);
      }
      try {
        await stream.finish();
      } catch (err) {
        throw vshFail(`cannot close volume ${text}`, err);
      }
    } finally {
      await closeQuietly(fh);
    }
  },
};

const vsDownload: CommandSpec = {
  name: 'vol-download',
  group: VOL_GROUP,
  help: 'download volume contents to a file',
  description: 'Download volume contents to a file',
  options: transferOptions('download'),
  extensions: ['progress'],
  async run(ctx, opts) {
    const { offset, length, text, vol, file } = await transferTarget(ctx, opts);
    // virsh: O_EXCL first, to know whether it created the file (and must remove it on failure).
    let fh: FileHandle;
    let created = false;
    try {
      fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError([`cannot create ${file}`]);
      try {
        fh = await open(file, constants.O_WRONLY | constants.O_TRUNC, 0o666);
      } catch {
        throw new CliError([`cannot create ${file}`]);
      }
    }
    let ok = false;
    try {
      let stream: LibvirtStream;
      try {
        stream = await ctx.conn.raw.storageVolDownload(vol, offset, length, opts.bool('sparse') ? VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM : 0);
      } catch (err) {
        throw vshFail(`cannot download from volume ${text}`, err);
      }
      const report = progressReport(ctx, 'vol-download', wantsProgress(opts) ? await downloadTotal(ctx, vol, offset, length) : null, wantsProgress(opts));
      try {
        report.finish(await pipeToFile(stream, fh, { holes: 'seek', onProgress: (n) => report.update(n) }));
      } catch (err) {
        throw transferFailed(`cannot receive data from volume ${text}`, err);
      }
      ok = true;
    } finally {
      await closeQuietly(fh);
      if (!ok && created) await unlink(file).catch(() => {});
    }
  },
};

/** vol-upload and vol-download. */
export const transferCommands: readonly CommandSpec[] = [vsUpload, vsDownload];
