import type { Migration } from '../migrate';
import { core0001 } from './0001_core';
import { outbox0002 } from './0002_outbox_claimable_index';
import { auth0003 } from './0003_auth_login_throttle';
import { secrets0004 } from './0004_secrets';

/** The host's migrations, in order. A new file adds itself here. */
export const coreMigrations: Migration[] = [core0001, outbox0002, auth0003, secrets0004];
