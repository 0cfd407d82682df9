// The developer portal, shaped like Xero's "My Apps": create a private app by uploading an X509
// certificate (consumer key + secret), an OAuth2 web app with redirect URIs (client id + secret), or a
// custom connection bound to one organisation. Registration itself is AppRegistry's job, shared with
// the control API.
import express, { type Request, type Response, type Router } from 'express';
import type { TenantDirectory } from '../identity/apps';
import { RegistrationError } from '../identity/apps';
import type { Identity } from '../identity/index';
import { ACCOUNTING_SCOPES } from '../identity/scopes';
import type { EmulatedApp } from '../identity/state';
import { CertificateError } from '../oauth1/certificate';
import { errorBox, html, page, type Html } from './html';
import { readForm, type FormFields } from './multipart';

const KIND_LABEL: Record<EmulatedApp['kind'], string> = { private: 'Private app (OAuth 1.0a)', oauth2: 'Web app (OAuth 2.0)', custom: 'Custom connection' };

export function portalRouter(deps: { identity: Identity; tenants: TenantDirectory }): Router {
  const { identity, tenants } = deps;
  const router = express.Router();

  router.get('/', (_req, res) => res.redirect(302, '/portal'));

  router.get('/portal', (_req, res) => {
    const rows = identity.apps.list().map(
      (app) => html`<tr><td><a href="/portal/apps/${app.id}">${app.name}</a></td><td>${KIND_LABEL[app.kind]}</td><td><code>${app.id}</code></td></tr>`,
    );
    res.type('html').send(
      page(
        'My apps',
        html`<p><a href="/portal/apps/new/private" id="new-private-app">New private app</a> ·
<a href="/portal/apps/new/oauth2" id="new-oauth2-app">New web app (OAuth 2.0)</a> ·
<a href="/portal/apps/new/custom" id="new-custom-connection">New custom connection</a></p>
${rows.length ? html`<table id="apps"><tr><th>Name</th><th>Type</th><th>Id</th></tr>${rows}</table>` : html`<p id="no-apps">No apps yet.</p>`}`,
      ),
    );
  });

  router.get('/portal/apps/new/private', (_req, res) => res.type('html').send(privateForm(tenants)));
  router.get('/portal/apps/new/oauth2', (_req, res) => res.type('html').send(oauth2Form()));
  router.get('/portal/apps/new/custom', (_req, res) => res.type('html').send(customForm(tenants)));

  router.post('/portal/apps/private', async (req, res) => {
    const form = await formOf(req, res);
    if (!form) return;
    const file = form.files.get('certificate');
    const pasted = form.fields.get('certificatePem')?.[0]?.trim();
    const certificate = file && file.data.length > 0 ? file.data : pasted;
    const name = first(form, 'name');
    if (!certificate) return res.status(400).type('html').send(privateForm(tenants, 'Upload a certificate file or paste a PEM certificate'));
    try {
      const app = identity.apps.registerPrivate({ name, certificate, tenantId: first(form, 'tenantId') });
      res.status(201).type('html').send(createdPage(app, tenants, true));
    } catch (err) {
      if (err instanceof RegistrationError || err instanceof CertificateError) {
        return res.status(400).type('html').send(privateForm(tenants, err.message));
      }
      throw err;
    }
  });

  router.post('/portal/apps/oauth2', async (req, res) => {
    const form = await formOf(req, res);
    if (!form) return;
    const redirectUris = (first(form, 'redirectUris') ?? '').split(/[\s,]+/).filter(Boolean);
    try {
      const app = identity.apps.registerOAuth2({ name: first(form, 'name'), redirectUris });
      res.status(201).type('html').send(createdPage(app, tenants, true));
    } catch (err) {
      if (err instanceof RegistrationError) return res.status(400).type('html').send(oauth2Form(err.message));
      throw err;
    }
  });

  router.post('/portal/apps/custom', async (req, res) => {
    const form = await formOf(req, res);
    if (!form) return;
    try {
      const app = identity.apps.registerCustom({ name: first(form, 'name'), tenantId: first(form, 'tenantId'), scopes: form.fields.get('scope') ?? [] });
      res.status(201).type('html').send(createdPage(app, tenants, true));
    } catch (err) {
      if (err instanceof RegistrationError) return res.status(400).type('html').send(customForm(tenants, err.message));
      throw err;
    }
  });

  router.get('/portal/apps/:id', (req, res) => {
    const app = identity.apps.get(req.params.id);
    if (!app) return res.status(404).type('html').send(page('App not found', errorBox('No app has that id.')));
    res.type('html').send(createdPage(app, tenants, false));
  });

  return router;
}

async function formOf(req: Request, res: Response): Promise<FormFields | undefined> {
  try {
    return await readForm(req);
  } catch (err) {
    res.status(400).type('html').send(page('Bad form', errorBox((err as Error).message)));
    return undefined;
  }
}

function first(form: FormFields, name: string): string | undefined {
  const value = form.fields.get(name)?.[0]?.trim();
  return value ? value : undefined;
}

function organisationSelect(tenants: TenantDirectory): Html {
  return html`<label for="organisation">Organisation</label>
<select id="organisation" name="tenantId">${tenants.listTenants().map((t) => html`<option value="${t.tenantId}">${t.name}</option>`)}</select>`;
}

function privateForm(tenants: TenantDirectory, error?: string): string {
  return page(
    'New private app',
    html`${errorBox(error)}
<form method="post" action="/portal/apps/private" enctype="multipart/form-data" id="private-app-form">
  <label for="app-name">App name</label>
  <input type="text" id="app-name" name="name" required>
  ${organisationSelect(tenants)}
  <label for="certificate-file">Public key certificate (.cer or .pem)</label>
  <input type="file" id="certificate-file" name="certificate" accept=".cer,.pem,.crt">
  <label for="certificate-pem">…or paste the certificate (PEM)</label>
  <textarea id="certificate-pem" name="certificatePem" placeholder="-----BEGIN CERTIFICATE-----"></textarea>
  <button type="submit" id="create-app">Create app</button>
</form>`,
  );
}

function oauth2Form(error?: string): string {
  return page(
    'New web app',
    html`${errorBox(error)}
<form method="post" action="/portal/apps/oauth2" id="oauth2-app-form">
  <label for="app-name">App name</label>
  <input type="text" id="app-name" name="name" required>
  <label for="redirect-uris">Redirect URIs (one per line)</label>
  <textarea id="redirect-uris" name="redirectUris" required></textarea>
  <button type="submit" id="create-app">Create app</button>
</form>`,
  );
}

function customForm(tenants: TenantDirectory, error?: string): string {
  const scopes = ACCOUNTING_SCOPES.map(
    (s) => html`<div class="check"><input type="checkbox" name="scope" value="${s}" id="scope-${s}"><label for="scope-${s}">${s}</label></div>`,
  );
  return page(
    'New custom connection',
    html`${errorBox(error)}
<form method="post" action="/portal/apps/custom" id="custom-connection-form">
  <label for="app-name">Connection name</label>
  <input type="text" id="app-name" name="name" required>
  ${organisationSelect(tenants)}
  <fieldset id="scopes"><legend>Scopes (none ticked = all)</legend>${scopes}</fieldset>
  <button type="submit" id="create-app">Create connection</button>
</form>`,
  );
}

function createdPage(app: EmulatedApp, tenants: TenantDirectory, justCreated: boolean): string {
  const orgName = (id: string): string => tenants.getTenant(id)?.name ?? id;
  let details: Html;
  switch (app.kind) {
    case 'private':
      details = html`<p>Consumer key: <span class="secret" id="consumer-key">${app.id}</span></p>
<p>Consumer secret: <span class="secret" id="consumer-secret">${app.consumerSecret}</span></p>
<p>Organisation: <span id="organisation-name">${orgName(app.tenantId)}</span> (<code id="tenant-id">${app.tenantId}</code>)</p>`;
      break;
    case 'oauth2':
      details = html`<p>Client id: <span class="secret" id="client-id">${app.id}</span></p>
${justCreated && !app.isPublic ? html`<p>Client secret: <span class="secret" id="client-secret">${app.clientSecret}</span> (shown once — copy it now)</p>` : html``}
<p>Redirect URIs:</p><ul id="redirect-uri-list">${app.redirectUris.map((u) => html`<li><code>${u}</code></li>`)}</ul>
<p><a href="/portal/apps/${app.id}/webhooks" id="webhooks-link">Webhooks</a></p>`;
      break;
    case 'custom':
      details = html`<p>Client id: <span class="secret" id="client-id">${app.id}</span></p>
${justCreated ? html`<p>Client secret: <span class="secret" id="client-secret">${app.clientSecret}</span> (shown once — copy it now)</p>` : html``}
<p>Organisation: <span id="organisation-name">${orgName(app.tenantId)}</span> (<code id="tenant-id">${app.tenantId}</code>)</p>
<p>Scopes: <code id="custom-scopes">${app.scopes.join(' ')}</code></p>`;
      break;
  }
  return page(app.name, html`<p>${KIND_LABEL[app.kind]}${justCreated ? ' created.' : ''}</p>${details}<p><a href="/portal">Back to my apps</a></p>`);
}
