import type { Migration } from '../migrate';
import { core0001 } from './0001_core';
import { auth0003 } from './0003_auth_login_throttle';
import { secrets0004 } from './0004_secrets';

/** The host's migrations, in order. A new file adds itself here. */
export const coreMigrations: Migration[] = [core0001, auth0003, secrets0004];
