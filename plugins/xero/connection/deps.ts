import type { Db } from '../../../server/db/knex';
import type { Logger } from '../../../server/logger';
import type { SecretBox } from '../../../server/secrets';
import type { XeroConfig } from '../config';

/** What the connection code needs from the plugin context (a subset, so tests can build it directly). */
export interface ConnectionDeps {
  db: Db;
  secrets: SecretBox;
  config: XeroConfig;
  logger: Logger;
  /** Epoch ms; injectable so tests can move time (token expiry, certificate warnings). */
  now?: () => number;
}
