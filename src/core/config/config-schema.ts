import { z } from 'zod';
import { looksLikePem } from '../certificates/pem-source';
import {
  MAX_CLOCK_SKEW_SECONDS,
  MAX_ISSUED_LIFETIME_SECONDS,
  MAX_PARTNER_LIFETIME_SECONDS,
  MAX_TOKEN_BYTES_LIMIT,
} from './config-limits';

/*
 * The one configuration of a service, as a zod schema: validation, defaults and the TypeScript
 * types come from this single place. Every object is strict, so a misspelt field fails at
 * start-up instead of being silently ignored.
 */

const nonEmpty = z.string().trim().min(1, 'expected a non-empty string');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-"');
const seconds = (max: number) =>
  z
    .number()
    .int('expected whole seconds')
    .positive('expected a positive number of seconds')
    .max(max, `expected at most ${max} seconds`);

/*
 * PEM text by path, inline (`{ pem }`) or from an environment variable (`{ env }`). A path that is
 * really PEM text (a key pasted into the wrong form) is refused without echoing it.
 */
const pemPath = z
  .string()
  .trim()
  .min(1, 'expected a non-empty string')
  .refine(
    (v) => !looksLikePem(v),
    'this is PEM text, not a file path: write it as { "pem": "..." } or { "env": "VARIABLE" }',
  );
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const pemSource = z.union(
  [pemPath, z.strictObject({ pem: z.string().min(1, 'expected PEM text') }), z.strictObject({ env: envName })],
  {
    error: 'expected a file path, { "pem": "..." } or { "env": "VARIABLE" }',
  },
);

/*
 * Where a signing key lives: a PKCS#11 token (an HSM; `s2s-oauth/pkcs11` signs with it), or a
 * signer the application passes in code (`createS2SAuth(config, { signers: { name } })`: a cloud
 * key vault). The key never enters the process; the certificate stays a file as before.
 */
const signerSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .strictObject({
        kind: z.literal('pkcs11'),
        /** The PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
        module: nonEmpty,
        /** The token's label ... */
        token: nonEmpty.optional(),
        /** ... or its slot id. */
        slot: z.number().int().min(0).optional(),
        /** The private key's label (`CKA_LABEL`) ... */
        key: nonEmpty.optional(),
        /** ... or its id (`CKA_ID`), in hex. */
        keyId: z
          .string()
          .regex(/^(?:[0-9a-fA-F]{2})+$/, 'expected the key id in hex')
          .optional(),
        /** The user PIN, from an environment variable only (never in a file). */
        pin: z.strictObject(
          { env: envName },
          { error: 'expected { "env": "VARIABLE" } (a PIN is never written in the file)' },
        ),
        /** How long one signature may take before the call fails (`signing_failed`); default 5000. */
        timeoutMs: z.number().int().min(100).max(60_000).optional(),
      })
      .superRefine((signer, ctx) => {
        if ((signer.token === undefined) === (signer.slot === undefined))
          ctx.addIssue({
            code: 'custom',
            path: ['token'],
            message: 'expected exactly one of token (its label) and slot',
          });
        if ((signer.key === undefined) === (signer.keyId === undefined))
          ctx.addIssue({ code: 'custom', path: ['key'], message: 'expected exactly one of key (its label) and keyId' });
      }),
    z.strictObject({
      kind: z.literal('external'),
      /** The name of a signer in `createS2SAuth(config, { signers })`. */
      name,
      /** How long one signature may take before the call fails (`signing_failed`); default 5000. */
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
    }),
  ],
  { error: 'expected kind to be "pkcs11" or "external"' },
);

const certificatePair = z
  .strictObject({
    /** The PEM certificate: a path, `{ pem }` or `{ env }`. */
    certificate: pemSource,
    /** The PEM private key: a path, `{ pem }` or `{ env }` (never printed) ... */
    privateKey: pemSource.optional(),
    /** ... or where the key lives outside the process. */
    signer: signerSchema.optional(),
  })
  .superRefine((pair, ctx) => {
    if ((pair.privateKey === undefined) === (pair.signer === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['privateKey'],
        message: 'expected exactly one of privateKey (a key in the process) and signer (a key in an HSM or vault)',
      });
  });

const signingSchema = certificatePair.safeExtend({
  next: certificatePair
    .safeExtend({
      effectiveAt: z.iso.datetime({
        offset: true,
        message: 'expected an ISO 8601 date-time such as 2026-12-01T00:00:00Z',
      }),
    })
    .optional(),
});

const httpsOrHttpUrl = z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL' }).refine((v) => {
  // Runs after a failed URL check too (zod reports every issue): only a URL can have user-info.
  if (!URL.canParse(v)) return true;
  const url = new URL(v);
  return url.username === '' && url.password === '';
}, "expected a URL without user name or password (fetch cannot send them; use the key source's own authentication)");

const keySourceSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('certificate'),
      certificates: z.array(pemSource).min(1, 'expected at least one certificate'),
    }),
    z.strictObject({ kind: z.literal('jwks'), url: httpsOrHttpUrl }),
    z.strictObject({ kind: z.literal('metadata'), url: httpsOrHttpUrl }),
  ],
  { error: 'expected kind to be "certificate", "jwks" or "metadata"' },
);

/*
 * How a partner is called: with tokens we issue ourselves, or with client-credentials tokens from
 * an authorization server (by name), asking for an RFC 8707 `resource` (default, when no `scope`
 * is given: the called URL's origin) and/or a `scope`.
 */
const outboundSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('self-issued') }),
    z.strictObject({
      kind: z.literal('authorization-server'),
      server: nonEmpty,
      resource: nonEmpty.optional(),
      scope: nonEmpty.optional(),
    }),
  ],
  { error: 'expected kind to be "self-issued" or "authorization-server"' },
);

const trustLevel = z.enum(['Full', 'Application', 'User'], { error: 'expected "Full", "Application" or "User"' });

const partnerSchema = z
  .strictObject({
    name,
    applicationId: nonEmpty.optional(),
    realm: nonEmpty.optional(),
    keySource: keySourceSchema.optional(),
    trustLevel,
    enabled: z.boolean().default(true),
    permissions: z.array(nonEmpty).default([]),
    clientIds: z.array(nonEmpty).default([]),
    maxTokenLifetimeSeconds: seconds(MAX_PARTNER_LIFETIME_SECONDS).optional(),
    legacyTokens: z.boolean().default(false),
    requireUniqueJti: z.boolean().default(false),
    baseUrls: z.array(httpsOrHttpUrl).default([]),
    /** What `s2s-oauth check` GETs, appended to the first base URL, to see whether the partner trusts us. */
    probePath: z
      .string()
      .regex(/^\/(?!\/)[^\s?#]*(\?[^\s#]*)?$/, 'expected a path starting with "/" (no scheme, host or fragment)')
      .optional(),
    /** How we obtain tokens to call it: our own (`self-issued`, the default) or from an authorization server. */
    outbound: outboundSchema.default({ kind: 'self-issued' }),
  })
  .superRefine((p, ctx) => {
    // Only a metadata document can tell us a partner's id: the one place this rule is stated.
    if (p.keySource && p.keySource.kind !== 'metadata' && !p.applicationId) {
      ctx.addIssue({
        code: 'custom',
        path: ['applicationId'],
        message: 'required unless keySource.kind is "metadata"',
      });
    }
  });

const authorizationServerSchema = z.strictObject({
  name,
  /** OpenID Connect discovery / RFC 8414 document, or a Microsoft `/metadata/json/1` document (ACS). */
  metadataUrl: httpsOrHttpUrl,
  /** The `aud` values it issues for us (e.g. our resource URI); default: our principal-id audiences. */
  audiences: z.array(nonEmpty).default([]),
  /** Our client id at this server, for outbound client-credentials requests (default `<serviceName>@<realm>`). */
  clientId: nonEmpty.optional(),
  clients: z
    .array(
      z.strictObject({
        clientId: nonEmpty,
        name: nonEmpty.optional(),
        trustLevel,
        permissions: z.array(nonEmpty).default([]),
      }),
    )
    .default([]),
});

export const configSchema = z
  .strictObject({
    realm: nonEmpty.optional(),
    additionalRealms: z.array(nonEmpty).default([]),
    serviceName: nonEmpty,
    hostnames: z.array(nonEmpty).min(1, 'expected at least one hostname partners address this service by'),
    signing: signingSchema,
    tokens: z
      .strictObject({
        lifetimeSeconds: seconds(MAX_ISSUED_LIFETIME_SECONDS).default(300),
        clockSkewSeconds: z
          .number()
          .int()
          .min(0)
          .max(MAX_CLOCK_SKEW_SECONDS, `expected at most ${MAX_CLOCK_SKEW_SECONDS} seconds`)
          .default(60),
        maxInboundLifetimeSeconds: seconds(MAX_PARTNER_LIFETIME_SECONDS).default(3600),
        maxTokenBytes: z.number().int().min(512).max(MAX_TOKEN_BYTES_LIMIT).default(8192),
      })
      .prefault({}),
    keySources: z
      .strictObject({
        ttlSeconds: seconds(7 * 24 * 3600).default(3600),
        refreshCooldownSeconds: z.number().int().min(0).max(3600).default(30),
        staleIfErrorSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 3600)
          .default(6 * 3600),
        timeoutMs: z.number().int().min(100).max(60000).default(5000),
        maxResponseBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(256 * 1024),
        allowInsecureHosts: z.array(nonEmpty).default([]),
      })
      .prefault({}),
    outbound: z
      .strictObject({
        allowInsecureHosts: z.array(nonEmpty).default([]),
        refreshBeforeExpirySeconds: z.number().int().min(0).max(1800).default(60),
        refreshJitterSeconds: z.number().int().min(0).max(600).default(15),
        maxCachedTokens: z.number().int().min(1).max(1_000_000).default(10_000),
        discoveryTimeoutMs: z.number().int().min(100).max(60000).default(5000),
      })
      .prefault({}),
    verifiedTokenCache: z
      .strictObject({ maxEntries: z.number().int().min(0).max(1_000_000).default(10_000) })
      .prefault({}),
    replayCache: z
      .strictObject({
        maxEntries: z.number().int().min(1).max(10_000_000).default(100_000),
        timeoutMs: z.number().int().min(10).max(30_000).default(1000),
      })
      .prefault({}),
    partners: z.array(partnerSchema).default([]),
    authorizationServers: z.array(authorizationServerSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    const servers = new Set<string>();
    config.authorizationServers.forEach((a, i) => {
      if (servers.has(a.name))
        ctx.addIssue({
          code: 'custom',
          path: ['authorizationServers', i, 'name'],
          message: `duplicate authorization server name "${a.name}"`,
        });
      servers.add(a.name);
    });
    config.partners.forEach((p, i) => {
      if (p.outbound.kind === 'authorization-server' && !servers.has(p.outbound.server)) {
        ctx.addIssue({
          code: 'custom',
          path: ['partners', i, 'outbound', 'server'],
          message: `no authorization server named "${p.outbound.server}"`,
        });
      }
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', path: ['partners', i, 'name'], message: `duplicate partner name "${p.name}"` });
      seen.add(p.name);
    });
    if (
      config.outbound.refreshBeforeExpirySeconds + config.outbound.refreshJitterSeconds >=
      config.tokens.lifetimeSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['outbound', 'refreshBeforeExpirySeconds'],
        message: 'with refreshJitterSeconds, must be less than tokens.lifetimeSeconds',
      });
    }
    if (config.tokens.lifetimeSeconds > config.tokens.maxInboundLifetimeSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokens', 'lifetimeSeconds'],
        message: 'must not exceed tokens.maxInboundLifetimeSeconds',
      });
    }
  });

/** The configuration as the schema reads it; {@link S2SConfigInput} is its documented form (a type test keeps them equal). */
export type SchemaInput = z.input<typeof configSchema>;
/** A partner as the schema reads it. */
export type PartnerSchemaInput = z.input<typeof partnerSchema>;
/** The configuration as the schema produces it; {@link S2SConfig} is its documented form. */
export type SchemaOutput = z.output<typeof configSchema>;
/** A partner as the schema produces it. */
export type PartnerSchemaOutput = z.output<typeof partnerSchema>;

export type {
  S2SConfigInput,
  PartnerConfigInput,
  TrustLevel,
  S2SConfig,
  PartnerConfig,
  KeySourceConfig,
  OutboundConfig,
  AuthorizationServerConfig,
  AuthorizationServerClient,
} from './config-input';

export { partnerSchema };
