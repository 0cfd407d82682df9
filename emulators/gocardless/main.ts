// `npm run emulator:gocardless`: the GoCardless emulator on its own port. Reads the environment once,
// reports every bad setting at once, applies elapsed time every second (so payouts and webhooks happen
// without a request), and registers a webhook endpoint when one is configured.
import { pathToFileURL } from 'node:url';
import { createGoCardlessEmulator } from './app';

function main(): void {
  const env = process.env;
  const problems: string[] = [];
  const port = Number(env.GOCARDLESS_EMULATOR_PORT ?? 4020);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`GOCARDLESS_EMULATOR_PORT must be a port number, got "${env.GOCARDLESS_EMULATOR_PORT}"`);
  const speed = env.GOCARDLESS_EMULATOR_CLOCK_SPEED === undefined ? 1 : Number(env.GOCARDLESS_EMULATOR_CLOCK_SPEED);
  if (!Number.isFinite(speed) || speed < 0) problems.push(`GOCARDLESS_EMULATOR_CLOCK_SPEED must be a number ≥ 0, got "${env.GOCARDLESS_EMULATOR_CLOCK_SPEED}"`);
  const webhookUrl = env.GOCARDLESS_EMULATOR_WEBHOOK_URL;
  const webhookSecret = env.GOCARDLESS_EMULATOR_WEBHOOK_SECRET;
  if (Boolean(webhookUrl) !== Boolean(webhookSecret)) problems.push('GOCARDLESS_EMULATOR_WEBHOOK_URL and GOCARDLESS_EMULATOR_WEBHOOK_SECRET go together');
  if (problems.length) {
    console.error(`GoCardless emulator configuration:\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  const emulator = createGoCardlessEmulator({
    clockSpeed: speed,
    tickEveryMs: 1000,
    ...(env.GOCARDLESS_EMULATOR_ACCESS_TOKEN ? { seedAccessToken: env.GOCARDLESS_EMULATOR_ACCESS_TOKEN } : {}),
  });
  const creditor = [...emulator.books.creditors.values()][0];
  if (webhookUrl && webhookSecret && creditor) emulator.webhooks.addEndpoint({ creditorId: creditor.id, url: webhookUrl, secret: webhookSecret });
  const host = env.GOCARDLESS_EMULATOR_HOST ?? '127.0.0.1';
  const server = emulator.app.listen(port, host, () => {
    const address = server.address();
    const where = typeof address === 'object' && address ? `http://${host}:${address.port}` : String(address);
    console.log(`GoCardless emulator listening on ${where} (creditor ${creditor?.id ?? 'none'}; control API ${where}/_emulator)`);
  });
  const stop = (signal: string): void => {
    console.log(`GoCardless emulator: ${signal}, shutting down`);
    server.close(() => void emulator.close().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
