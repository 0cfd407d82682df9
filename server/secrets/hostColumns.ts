import type { SealedColumnSpec } from './registry';
import { twoFactorSealedColumns } from '../auth/twoFactor/store';

// The host's own sealed columns. Plugins declare theirs on their definitions; sealedColumnsOf
// (server/plugins/registry.ts) puts both in the one registry `secrets:rotate-org` re-seals.
export const HOST_SEALED_COLUMNS: readonly SealedColumnSpec[] = [twoFactorSealedColumns];
