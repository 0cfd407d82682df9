// /plugins/<provider> (admins): connect the organisation to the provider, see what became of its recent
// payouts and what failed, disconnect. Saving tests a new API secret with the provider first (a key that
// does not work saves nothing, with the provider's own words); a secret field left blank keeps the saved
// one; secrets are sealed and never shown back. CSRF is checked by the host; the organisation always comes
// from the signed-in admin, never from the form.
import { Router, type Request, type Response } from 'express';
import { field, formatCalendarDay, plural, type PluginContext } from '../../server/plugins/contract';
import { providerActivity, type ActivitySpec } from './payouts';
import type { SealedSettingsStore } from './settingsStore';

/** The provider refused the secret (or did not answer): the message is shown next to its field. */
export class CredentialRefused extends Error {}

export interface SecretField<S extends string> {
  name: S;
  formField: string;
  pattern: RegExp;
  /** Shown when the value does not match `pattern`. */
  invalid: string;
  /** Shown when the field is blank and nothing is saved yet. */
  missing: string;
}

export interface SettingsPageSpec<S extends string, F extends string> {
  /** The provider's name, the page title. */
  title: string;
  store: SealedSettingsStore<S, F>;
  fields: readonly SecretField<S>[];
  /** The secret the API is called with: a new one is tested with `check` before anything is saved. */
  apiSecret: S;
  /** Who the secret belongs to, as facts to keep (the account); throws CredentialRefused when it does not work. */
  check(apiSecret: string): Promise<Partial<Record<F, string>>>;
  /** The success message, from the saved facts. */
  connected(facts: Record<F, string>): string;
  activity: ActivitySpec;
  /** Anything else the page shows (the webhook URL to paste into the provider, the API base). */
  locals: Record<string, unknown>;
}

interface FormState { errors: Record<string, string>; pageError: string | null }

export function settingsPage<S extends string, F extends string>(ctx: PluginContext<unknown>, spec: SettingsPageSpec<S, F>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');
  const actor = (req: Request): string => `${req.principal!.kind}:${req.principal!.id}`;

  const render = async (req: Request, res: Response, state: FormState = { errors: {}, pageError: null }, status?: number): Promise<void> => {
    const orgId = req.principal!.orgId;
    const settings = await spec.store.get(ctx.db, orgId);
    const activity = await providerActivity(ctx, orgId, spec.activity);
    const { timeZone } = await ctx.organisations.get(ctx.db, orgId);
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'settings', {
      title: spec.title, base: ctx.mountPath, flash: ctx.pages.takeFlash(req),
      settings: settings ? { facts: settings.facts, saved: settings.saved, updatedAt: ctx.pages.formatDateTime(settings.updatedAt, timeZone) } : null,
      ...activity, calendarDay: formatCalendarDay, plural, ...spec.locals, ...state,
    }, status);
  };

  router.get('/', admin, async (req, res) => {
    await render(req, res);
  });

  router.post('/', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const existing = await spec.store.get(ctx.db, orgId);
    const given: Partial<Record<S, string>> = {};
    const errors: Record<string, string> = {};
    for (const f of spec.fields) {
      const value = field(req, f.formField).trim();
      if (value && !f.pattern.test(value)) errors[f.formField] = f.invalid;
      else if (value) given[f.name] = value;
      else if (!existing?.saved[f.name]) errors[f.formField] = f.missing;
    }
    if (Object.keys(errors).length) return render(req, res, { errors, pageError: 'Nothing was saved: a field needs fixing.' }, 422);

    let facts: Partial<Record<F, string>> = {};
    const apiSecret = given[spec.apiSecret];
    if (apiSecret !== undefined) {
      try {
        facts = await spec.check(apiSecret);
      } catch (err) {
        if (!(err instanceof CredentialRefused)) ctx.logger.error({ err }, `${spec.title} key check failed`);
        const message = err instanceof CredentialRefused ? err.message : `Checking the key with ${spec.title} failed; try again in a moment.`;
        const formField = spec.fields.find((f) => f.name === spec.apiSecret)!.formField;
        return render(req, res, { errors: { [formField]: message }, pageError: 'Nothing was saved: the key did not work.' }, 422);
      }
    }
    await ctx.db.transaction((trx) => spec.store.save(trx, ctx.secrets, { orgId, secrets: given, facts, by: actor(req), now: ctx.clock.now() }));
    const saved = (await spec.store.get(ctx.db, orgId))!;
    ctx.logger.info({ orgId, by: actor(req), kept: spec.fields.filter((f) => given[f.name] === undefined).map((f) => f.name) }, `${spec.title} settings saved`);
    ctx.pages.setFlash(req, 'success', spec.connected(saved.facts));
    res.redirect(303, ctx.mountPath);
  });

  router.post('/disconnect', admin, async (req, res) => {
    const removed = await spec.store.remove(ctx.db, req.principal!.orgId);
    ctx.logger.info({ orgId: req.principal!.orgId, by: actor(req) }, `${spec.title} settings removed`);
    ctx.pages.setFlash(req, 'success', removed
      ? `${spec.title} is disconnected: its secrets are deleted, its webhooks are refused and the nightly sweep skips this organisation.`
      : `${spec.title} was not connected.`);
    res.redirect(303, ctx.mountPath);
  });

  return router;
}
