/** The registry client: pull, push, login and the credentials they use. */
export { pullImage, type PullResult } from './pull.js';
export { pushImage, type PushResult } from './push.js';
export { login, logout, type LoginOptions } from './login.js';
export {
  CredentialStore,
  credentialKey,
  dockerConfigFile,
  type Credentials,
  type CredentialStoreOptions,
} from './credentials.js';
export type { PullOptions, PushOptions, TransferOptions } from './options.js';
export type { ProgressEvent, ProgressListener, BlobProgress, BlobPhase } from './progress.js';
export type { Clock } from './clock.js';
export { normaliseRegistry } from './hosts.js';
