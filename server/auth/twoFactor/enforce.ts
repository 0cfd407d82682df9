import type { RequestHandler } from 'express';
import type { Queryable } from '../../db/knex';
import { wantsJson } from '../middleware';
import { mustEnrolTwoFactor } from './store';

/** Where an admin who must enrol may still go: the enrolment pages and out. */
export const ENROLMENT_PATH = '/account/two-factor';
const STILL_ALLOWED = (path: string): boolean => path === ENROLMENT_PATH || path.startsWith(`${ENROLMENT_PATH}/`) || path === '/logout';

/**
 * Pages (never the bearer API): an admin of an organisation that requires two-factor login, without a
 * second factor, reaches nothing but enrolment and logging out. Checked on every request, so turning the
 * rule on applies to sessions already open. One indexed query, and only for admins.
 */
export function requireEnrolmentWhereRequired(deps: { db: Queryable }): RequestHandler {
  return (req, res, next) => {
    const principal = req.principal;
    if (!principal || principal.kind !== 'user' || principal.role !== 'admin' || STILL_ALLOWED(req.path)) return next();
    mustEnrolTwoFactor(deps.db, principal.id)
      .then((mustEnrol) => {
        if (!mustEnrol) return next();
        if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, ENROLMENT_PATH);
        const message = 'Your organisation requires two-factor login for admins: set it up first.';
        res.status(403);
        if (wantsJson(req)) return res.json({ error: { code: 'TWO_FACTOR_REQUIRED', message, help: `Open ${ENROLMENT_PATH}` } });
        res.render('error', { title: 'Set up two-factor login first', detail: message, status: 403 }, (err, html) => {
          if (err) res.type('text').send(message);
          else res.send(html);
        });
      })
      .catch(next);
  };
}
