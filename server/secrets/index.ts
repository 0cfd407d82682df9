// Secrets sealed at rest: AES-256-GCM under a per-organisation data key, itself wrapped by the master key.
// See README.md in this folder for the key hierarchy and the rotation commands.
export { createSecretBox, valueAad, type SecretBox, type SecretBoxOptions } from './box';
export { loadMasterKey, parseMasterKey, readKeyFile, readOrCreateKeyFile, createKeyFile, replaceKeyFile } from './masterKey';
export { keyFingerprint, parseEnvelope, EnvelopeError } from './envelope';
export { rotateMasterKey, rotateOrgDataKey, type MasterRotationResult, type OrgRotationResult } from './rotation';
export {
  createSealedColumnRegistry,
  type SealedColumn,
  type SealedColumnSpec,
  type SealedColumnRegistry,
} from './registry';
export { SecretUnreadableError, MasterKeyMismatchError } from './errors';
