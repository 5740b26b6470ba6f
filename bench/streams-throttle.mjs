// A reader throttled to RATE MB/s (10^6 bytes): reads stdin, hashes it, and prints
// {"bytes":N,"sha256":"..."} on stdout at the end. Used by `npm run bench:streams`.
import { createHash } from 'node:crypto';

const rate = Number(process.argv[2] ?? 20) * 1e6;
const hash = createHash('sha256');
let bytes = 0;
const t0 = performance.now();
process.stdin.on('data', (chunk) => {
  hash.update(chunk);
  bytes += chunk.length;
  const ahead = (bytes / rate) * 1000 - (performance.now() - t0);
  if (ahead > 1) {
    process.stdin.pause();
    setTimeout(() => process.stdin.resume(), ahead);
  }
});
process.stdin.on('end', () => process.stdout.write(`${JSON.stringify({ bytes, sha256: hash.digest('hex') })}\n`));
