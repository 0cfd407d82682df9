// `npm run emulator:stripe`: the Stripe emulator on its own port (12111 by default, like stripe-mock).
// Two accounts are seeded with fixed keys (printed at start); the control API creates more.
import { pathToFileURL } from 'node:url';
import { createStripeEmulator, type StripeEmulatorOptions } from './app';

export function readConfig(env: NodeJS.ProcessEnv): { port: number; host: string; options: StripeEmulatorOptions } {
  const problems: string[] = [];
  const port = Number(env.STRIPE_EMULATOR_PORT ?? 12111);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`STRIPE_EMULATOR_PORT must be a port number, got "${env.STRIPE_EMULATOR_PORT}"`);
  const speed = env.STRIPE_EMULATOR_CLOCK_SPEED === undefined ? 1 : Number(env.STRIPE_EMULATOR_CLOCK_SPEED);
  if (!Number.isFinite(speed) || speed < 0) problems.push(`STRIPE_EMULATOR_CLOCK_SPEED must be a number ≥ 0, got "${env.STRIPE_EMULATOR_CLOCK_SPEED}"`);
  const control = (env.STRIPE_EMULATOR_CONTROL ?? 'on').toLowerCase();
  if (!['on', 'off'].includes(control)) problems.push(`STRIPE_EMULATOR_CONTROL must be on or off, got "${env.STRIPE_EMULATOR_CONTROL}"`);
  if (problems.length) throw new Error(`Stripe emulator configuration:\n  - ${problems.join('\n  - ')}`);
  return { port, host: env.STRIPE_EMULATOR_HOST ?? '127.0.0.1', options: { clockSpeed: speed, controlApi: control === 'on' } };
}

function main(): void {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const emulator = createStripeEmulator(config.options);
  const server = emulator.app.listen(config.port, config.host, () => {
    const address = server.address();
    const where = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : String(address);
    console.log(`Stripe emulator listening on ${where} (control API ${config.options.controlApi ? 'on' : 'off'})`);
    for (const a of emulator.book.accounts()) console.log(`  ${a.settings.country} account ${a.id}: secret key ${a.secretKey}`);
  });
  const stop = (): void => {
    server.close(() => void emulator.close().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
