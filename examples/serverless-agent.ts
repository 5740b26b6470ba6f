/**
 * A small agent of the kind that runs in a serverless function: its SSH key and the server's
 * known_hosts line come from a secret store (here: the AGENT_CONFIG environment variable, JSON),
 * never from files; there is no `ssh` program; it connects over `qemu+ssh://` and lists the
 * domains as JSON.
 *
 * Bundle it into one file that needs no node_modules:
 *
 *   npx esbuild examples/serverless-agent.ts --bundle --platform=node --format=cjs --external:*.node --outfile=agent.cjs
 *
 * (`--external:*.node` leaves out the optional native add-ons of ssh2 and cpu-features; ssh2
 * runs without them.)
 *
 * AGENT_CONFIG: { "uri": "qemu+ssh://user@host/system", "privateKey": "-----BEGIN OPENSSH...",
 *                 "passphrase"?: "...", "knownHosts": "host ssh-ed25519 AAAA..." }
 */
import { connect } from '../src/index.js';

interface AgentConfig {
  readonly uri: string;
  readonly privateKey: string;
  readonly passphrase?: string;
  readonly knownHosts: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.AGENT_CONFIG ?? '{}') as AgentConfig;
  await using conn = await connect(config.uri, {
    timeout: 30_000,
    ssh: {
      privateKey: config.privateKey,
      ...(config.passphrase !== undefined ? { passphrase: config.passphrase } : {}),
      knownHosts: config.knownHosts,
      configFile: null, // nothing from ~/.ssh: everything comes from the secret store
    },
  });
  const { domains } = await conn.raw.connectListAllDomains(1, 0);
  process.stdout.write(
    `${JSON.stringify({
      client: conn.plan.ssh?.implementation ?? null,
      hostname: await conn.raw.connectGetHostname(),
      domains: domains.map((d) => d.name).sort(),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`agent failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
