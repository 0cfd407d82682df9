// createXeroEmulator(opts): the whole Xero emulator as an Express app, no listen() (supertest's
// target; main.ts listens). See README.md for the routes and the control API.
import { createAccountingModule } from './accounting';
import { buildXeroEmulator, type XeroEmulator, type XeroEmulatorOptions } from './emulator';

export type { XeroEmulator, XeroEmulatorOptions } from './emulator';

export function createXeroEmulator(opts: XeroEmulatorOptions = {}): XeroEmulator {
  return buildXeroEmulator(createAccountingModule, opts);
}
