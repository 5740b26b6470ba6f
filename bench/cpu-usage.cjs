// Preloaded (`node --require bench/cpu-usage.cjs ...`) by the start-up benchmarks: when the process
// exits, writes the CPU time it used since it started (user + system, microseconds; Node's own
// bootstrap included) to file descriptor 3. On a busy machine CPU time moves far less than wall time.
'use strict';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  require('node:fs').writeSync(3, `${user + system}\n`);
});
