// The identity half's state holder: one object owning the IdentityState and the services that work
// on it, with reset/snapshot/restore for the control API and the state file.
import type { Clock } from '../contracts';
import { AppRegistry, type TenantDirectory } from './apps';
import { generateSigningJwk, loadSigningKeys, type SigningKeys } from './keys';
import { TokenService } from './tokenService';
import { DEFAULT_USER, type EmulatedUser, type IdentityState } from './state';
import { newHexId, newUuid } from './ids';

export interface Identity {
  apps: AppRegistry;
  tokens: TokenService;
  keys(): SigningKeys;
  state(): IdentityState;
  users: UserDirectory;
  /** Forget every app, grant and user (the signing key is kept so the JWKS stays stable). */
  reset(): void;
  snapshot(): IdentityState;
  restore(data: unknown): void;
}

export interface UserDirectory {
  list(): EmulatedUser[];
  get(id: string): EmulatedUser | undefined;
  login(email: string, password: string): EmulatedUser | undefined;
  add(input: { email: string; password: string; givenName?: string; familyName?: string }): EmulatedUser;
  defaultUser(): EmulatedUser;
}

export function createIdentity(deps: { clock: Clock; tenants: TenantDirectory }): Identity {
  let state = freshState(generateSigningJwk());
  let keys = loadSigningKeys(state.signingKey);
  const getState = (): IdentityState => state;

  const users: UserDirectory = {
    list: () => Object.values(state.users),
    get: (id) => state.users[id],
    login: (email, password) =>
      Object.values(state.users).find((u) => u.email.toLowerCase() === email.trim().toLowerCase() && u.password === password),
    add: (input) => {
      if (Object.values(state.users).some((u) => u.email.toLowerCase() === input.email.toLowerCase())) {
        throw new Error(`A user with email ${input.email} already exists`);
      }
      const user: EmulatedUser = {
        id: newUuid(),
        sub: newHexId(),
        email: input.email,
        password: input.password,
        givenName: input.givenName ?? 'Emulated',
        familyName: input.familyName ?? 'User',
      };
      state.users[user.id] = user;
      return user;
    },
    defaultUser: () => {
      const found = Object.values(state.users).find((u) => u.email === DEFAULT_USER.email);
      return found ?? users.add({ ...DEFAULT_USER });
    },
  };

  const identity: Identity = {
    apps: new AppRegistry(getState, deps.clock, deps.tenants),
    tokens: new TokenService(getState, deps.clock, () => keys),
    keys: () => keys,
    state: getState,
    users,
    reset() {
      state = freshState(state.signingKey);
      users.defaultUser();
    },
    snapshot: () => structuredClone(state),
    restore(data) {
      if (!isIdentityState(data)) throw new Error('identity state in the state file is not in the expected shape');
      state = structuredClone(data);
      keys = loadSigningKeys(state.signingKey);
    },
  };
  users.defaultUser();
  return identity;
}

function freshState(signingKey: Record<string, unknown>): IdentityState {
  return { apps: {}, users: {}, codes: {}, grants: {}, refreshTokens: {}, connections: {}, signingKey };
}

function isIdentityState(data: unknown): data is IdentityState {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return ['apps', 'users', 'codes', 'grants', 'refreshTokens', 'connections', 'signingKey'].every(
    (k) => typeof d[k] === 'object' && d[k] !== null,
  );
}
