// One transfer through the library (the built package), in a process of its own so that its
// memory is measured alone. Used by `npm run bench:streams`:
//   node bench/streams-client.mjs up|down URI POOL VOL FILE sparse(0|1) [throttleMBps]
//   node bench/streams-client.mjs stall URI POOL VOL SECONDS
// `stall` downloads with a reader that stops for SECONDS after 10 MB, times a call on the paused
// connection and one on a second connection meanwhile, and hashes what it read.
// FILE is the source (up) or target (down); with throttleMBps the download goes into an
// in-process reader throttled to that rate that hashes what it gets. Prints one JSON line:
// seconds and CPU seconds (connect to close), bytes, RSS when connected and idle, peak RSS, sha256 if hashed.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect, pipeFromFile, pipeToFile, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM } from '../dist/esm/index.js';

const [verb, uri, poolName, volName, file, sparseArg, throttleArg] = process.argv.slice(2);
const sparse = sparseArg === '1';
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const conn = await connect(uri);
const vol = await conn.raw.storageVolLookupByName(await conn.raw.storagePoolLookupByName(poolName), volName);
const idleRss = process.memoryUsage().rss;
let bytes;
let sha256 = null;
if (verb === 'stall') {
  const stallMs = Number(file) * 1000;
  const second = await connect(uri);
  const stream = await conn.raw.storageVolDownload(vol, 0n, 0n, 0);
  const hash = createHash('sha256');
  bytes = 0;
  let stalled = false;
  let pausedCallMs = null;
  let secondCallMs = null;
  let pausedAfter1s = null;
  let call = Promise.resolve();
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
    if (!stalled && bytes > 10e6) {
      stalled = true;
      await new Promise((r) => setTimeout(r, 1000));
      pausedAfter1s = conn.client.stats.readingPaused;
      const tc = performance.now();
      call = conn.raw.connectGetLibVersion().then(() => (pausedCallMs = performance.now() - tc));
      const t2 = performance.now();
      await second.raw.connectGetLibVersion();
      secondCallMs = performance.now() - t2;
      await new Promise((r) => setTimeout(r, stallMs - 1000));
    }
  }
  await call;
  await second.close();
  await conn.close();
  process.stdout.write(
    `${JSON.stringify({ bytes, sha256: hash.digest('hex'), pausedAfter1s, pausedCallMs, secondCallMs, open: true, framesSent: conn.client.stats.framesSent })}\n`,
  );
  process.exit(0);
}
if (verb === 'up') {
  const stream = await conn.raw.storageVolUpload(vol, 0n, 0n, sparse ? VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM : 0);
  bytes = await pipeFromFile(file, stream, { detectHoles: sparse });
} else {
  const stream = await conn.raw.storageVolDownload(vol, 0n, 0n, sparse ? VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM : 0);
  if (throttleArg) {
    const rate = Number(throttleArg) * 1e6;
    const hash = createHash('sha256');
    const start = performance.now();
    bytes = 0;
    const slow = new Writable({
      write(chunk, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        const ahead = (bytes / rate) * 1000 - (performance.now() - start);
        if (ahead > 1) setTimeout(cb, ahead);
        else cb();
      },
    });
    await pipeline(stream, slow);
    sha256 = hash.digest('hex');
  } else {
    bytes = await pipeToFile(stream, file);
  }
}
await conn.close();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, bytes, idleRss, peakRss, sha256, pauses: conn.client.stats.readPauses })}\n`);
