import express, { type ErrorRequestHandler } from 'express';
// Express 4, beside 5 (an npm alias dev dependency): the library supports both as a peer.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express;

/** The Express major versions the inbound suites run against. */
export const EXPRESS_VERSIONS = { 'Express 5': express, 'Express 4': express4 } as const;
export type ExpressVersion = keyof typeof EXPRESS_VERSIONS;
import passport from 'passport';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-schema';
import type { VerificationEvent } from '../../src/core/tokens/token-verifier';
import type { TokenError } from '../../src/core/errors/token-error';
import type { Clock } from '../../src/core/clock';
import type { PemSource } from '../../src/core/certificates/pem-source';
import { IDS } from './certificates';
import { onlyDecisions } from './events';
import { serviceConfig } from './service';
import { recordExplainParity } from './explain-parity';

/**
 * The contacts service (what we test) and the services that call it, each with its own
 * certificate. `contacts` trusts them by certificate file with the given trust levels.
 */
export interface Suite {
  contacts: S2SAuth;
  messaging: S2SAuth;
  scheduler: S2SAuth;
  other: S2SAuth;
  events: VerificationEvent[];
  /** Where `explain()` disagreed with `verify()` on a refusal of `contacts` (empty: they agree); see {@link recordExplainParity}. */
  explainDisagreements: () => Promise<string[]>;
}

export async function createSuite(
  options: {
    partners?: (certs: Record<'messaging' | 'scheduler' | 'other', PemSource>) => PartnerConfigInput[];
    contacts?: Partial<S2SConfigInput>;
    clock?: Clock;
  } = {},
): Promise<Suite> {
  const clockOption = options.clock ? { clock: options.clock } : {};
  const configs = {
    messaging: await serviceConfig('messaging'),
    scheduler: await serviceConfig('scheduler'),
    other: await serviceConfig('other'),
  };
  const certs = {
    messaging: configs.messaging.signing!.certificate,
    scheduler: configs.scheduler.signing!.certificate,
    other: configs.other.signing!.certificate,
  };
  const partners = options.partners?.(certs) ?? [
    {
      name: 'messaging',
      applicationId: IDS.messaging,
      realm: 'contoso.com',
      trustLevel: 'Full',
      permissions: ['contacts.read', 'contacts.write'],
      keySource: { kind: 'certificate', certificates: [certs.messaging] },
    },
    {
      name: 'scheduler',
      applicationId: IDS.scheduler,
      realm: 'contoso.com',
      trustLevel: 'User',
      keySource: { kind: 'certificate', certificates: [certs.scheduler] },
    },
  ];
  const events: VerificationEvent[] = [];
  const contacts = createS2SAuth(await serviceConfig('contacts', { partners, ...options.contacts }), {
    ...clockOption,
    onEvent: onlyDecisions(events),
  });
  return {
    contacts,
    explainDisagreements: recordExplainParity(contacts.verifier),
    messaging: createS2SAuth(configs.messaging, clockOption),
    scheduler: createS2SAuth(configs.scheduler, clockOption),
    other: createS2SAuth(configs.other, clockOption),
    events,
  };
}

/** Renders errors the way a user's handler would: status, headers, and the stable code. */
export const errorHandler: ErrorRequestHandler = (err: TokenError, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ code: err.code ?? 'internal' });
};

/** An app protecting `/whoami` (and guarded variants) with either the Passport strategy or the plain middleware. */
export function protectedApp(
  s2s: S2SAuth,
  mode: 'passport' | 'middleware',
  version: ExpressVersion = 'Express 5',
): express.Express {
  const framework = EXPRESS_VERSIONS[version];
  const app = framework();
  app.use(framework.json());
  let authenticate: express.RequestHandler;
  if (mode === 'passport') {
    const instance = new passport.Passport();
    instance.use(s2s.strategy());
    app.use(instance.initialize());
    authenticate = instance.authenticate('s2s', { session: false });
  } else {
    authenticate = s2s.middleware();
  }
  const whoami: express.RequestHandler = (req, res) => {
    res.json(req.user);
  };
  app.all('/whoami', authenticate, whoami);
  app.get('/user-only', authenticate, s2s.requireUser(), whoami);
  app.get('/app-only', authenticate, s2s.requireAppOnly(), whoami);
  app.get('/full-only', authenticate, s2s.requireTrustLevel('Full'), whoami);
  app.get('/write', authenticate, s2s.requirePermission('contacts.write'), whoami);
  app.get('/admin', authenticate, s2s.requirePermission('contacts.admin'), whoami);
  // A careless handler: tries to grant itself more, and says how many of its attempts took.
  app.get('/mutate', authenticate, (req, res) => {
    const principal = req.user!;
    const attempts = [
      () => (principal.permissions as string[]).push('contacts.admin'),
      () => Object.assign(principal, { trustLevel: 'Full', kind: 'user' }),
      () => Object.assign(principal.claims, { nameid: 'someone else' }),
      () => principal.user && Object.assign(principal.user, { id: 'mallory' }),
    ];
    let took = 0;
    for (const attempt of attempts) {
      try {
        attempt();
        took++;
      } catch {
        // frozen: refused, as it must be
      }
    }
    res.json({ took });
  });
  app.use(errorHandler);
  return app;
}

/**
 * A partner entry for the contacts service: `name` trusted (Full by default) by its signing
 * certificate, as the suites configure it again and again.
 */
export function trustedPartner(
  name: 'messaging' | 'scheduler' | 'other',
  partner: S2SAuth,
  extra: Partial<PartnerConfigInput> = {},
): PartnerConfigInput {
  return {
    name,
    applicationId: IDS[name],
    realm: 'contoso.com',
    trustLevel: 'Full',
    keySource: { kind: 'certificate', certificates: [partner.config.signing.certificate] },
    ...extra,
  };
}

/** Audience of the contacts service as partners address it. */
export const CONTACTS_AUDIENCE = { principalId: IDS.contacts, host: 'contacts.contoso.com', realm: 'contoso.com' };
