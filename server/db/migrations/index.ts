import type { Migration } from '../migrate';
import { core0001 } from './0001_core';

/** The host's migrations, in order. A new file adds itself here. */
export const coreMigrations: Migration[] = [core0001];
