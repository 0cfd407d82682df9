// `npm run emulator:xero`: the Xero emulator on its own port. Reads the environment once, reports
// every bad setting at once, listens, and on SIGINT/SIGTERM stops accepting, finishes in-flight
// calls and flushes the state file.
import { pathToFileURL } from 'node:url';
import { createXeroEmulator, type XeroEmulator, type XeroEmulatorOptions } from './app';
import type { LimitsConfig } from './limits/config';

interface MainConfig {
  port: number;
  host: string;
  options: XeroEmulatorOptions;
}

export function readConfig(env: NodeJS.ProcessEnv): MainConfig {
  const problems: string[] = [];
  const port = Number(env.XERO_EMULATOR_PORT ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`XERO_EMULATOR_PORT must be a port number, got "${env.XERO_EMULATOR_PORT}"`);
  const speed = env.XERO_EMULATOR_CLOCK_SPEED === undefined ? 1 : Number(env.XERO_EMULATOR_CLOCK_SPEED);
  if (!Number.isFinite(speed) || speed < 0) problems.push(`XERO_EMULATOR_CLOCK_SPEED must be a number ≥ 0, got "${env.XERO_EMULATOR_CLOCK_SPEED}"`);
  const control = (env.XERO_EMULATOR_CONTROL ?? 'on').toLowerCase();
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(control)) problems.push(`XERO_EMULATOR_CONTROL must be on or off, got "${env.XERO_EMULATOR_CONTROL}"`);
  let limits: Partial<LimitsConfig> | undefined;
  if (env.XERO_EMULATOR_LIMITS) {
    try {
      limits = JSON.parse(env.XERO_EMULATOR_LIMITS) as Partial<LimitsConfig>;
    } catch {
      problems.push('XERO_EMULATOR_LIMITS must be JSON, e.g. {"perMinute":600}');
    }
  }
  const publicUrl = env.XERO_EMULATOR_PUBLIC_URL;
  if (publicUrl) {
    try {
      new URL(publicUrl);
    } catch {
      problems.push(`XERO_EMULATOR_PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
    }
  }
  if (problems.length) throw new Error(`Xero emulator configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    port,
    host: env.XERO_EMULATOR_HOST ?? '127.0.0.1',
    options: {
      clockSpeed: speed,
      controlApi: !['off', '0', 'false'].includes(control),
      ...(env.XERO_EMULATOR_STATE_FILE ? { stateFile: env.XERO_EMULATOR_STATE_FILE } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      ...(limits ? { limits } : {}),
    },
  };
}

function main(): void {
  let config: MainConfig;
  let emulator: XeroEmulator;
  try {
    config = readConfig(process.env);
    emulator = createXeroEmulator(config.options);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const server = emulator.app.listen(config.port, config.host, () => {
    const address = server.address();
    const where = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : String(address);
    console.log(`Xero emulator listening on ${where} (portal ${where}/portal, control API ${config.options.controlApi ? 'on' : 'off'})`);
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Xero emulator: ${signal}, shutting down`);
    server.close(() => {
      void emulator.close().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    // Held connections (timeout faults, slow answers) must not keep the process alive for long.
    setTimeout(() => {
      server.closeAllConnections();
    }, 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
