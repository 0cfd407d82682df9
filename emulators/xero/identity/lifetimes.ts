// Xero's published lifetimes. Not configurable on purpose: product code must cope with the real ones;
// tests reach them by advancing the emulated clock.
export const ACCESS_TOKEN_TTL_MS = 30 * 60_000;
export const ID_TOKEN_TTL_MS = 5 * 60_000;
export const AUTHORIZATION_CODE_TTL_MS = 5 * 60_000;
export const REFRESH_TOKEN_TTL_MS = 60 * 24 * 60 * 60_000;
/** A rotated refresh token keeps answering (with the same new token set) for this long. */
export const REFRESH_GRACE_MS = 30 * 60_000;
export const LOGIN_INTERACTION_TTL_MS = 30 * 60_000;
