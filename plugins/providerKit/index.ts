// The provider kit: what the Stripe and GoCardless plugins share (see README.md). Not a plugin: a small
// library that, like the plugins, reaches the host only through the contract.
export { sealedSettingsStore, type SealedSettingsSpec, type SealedSettingsStore, type SavedSettings, type SaveSettingsInput } from './settingsStore';
export { enqueueWork, outcomeOfError, reasonOf, workHandler, type Work, type WorkHandlerSpec } from './work';
export { acceptEvents, type ProviderEvent } from './events';
export { webhookErrors, webhookRouter, WebhookRefusal, type WebhookReceiver } from './webhook';
export { knownPayouts, providerActivity, recordPayout, type ActivitySpec, type Attention, type PayoutActivity } from './payouts';
export { startSweepSchedule, sweepOrganisations, type SweepOutcome } from './sweep';
export { CredentialRefused, settingsPage, type SecretField, type SettingsPageSpec } from './settingsPage';
