// The demo prefers the well-known ports (3000 for the app, 4010 for the Xero emulator) so the printed
// URLs are the ones in the README and docs/demo.md, but takes any free port rather than fail when one is busy.
import { createServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export async function listenPreferring(server: Server, preferred: number, host = '127.0.0.1'): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(preferred);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return attempt(0);
  }
}

/** A port that was free a moment ago (the preferred one if possible), for a child process to bind. */
export async function freePortPreferring(preferred: number, host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  const bind = (port: number) =>
    new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, host, () => resolve((probe.address() as AddressInfo).port));
    });
  let port: number;
  try {
    port = await bind(preferred);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    probe.removeAllListeners('error');
    port = await bind(0);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
