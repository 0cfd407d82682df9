import type { Migration } from '../migrate';
import { core0001 } from './0001_core';
import { secrets0004 } from './0004_secrets';

/** The host's migrations, in order. A new file adds itself here. */
export const coreMigrations: Migration[] = [core0001, secrets0004];
