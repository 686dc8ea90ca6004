// A real authorization server for tests: panva's oidc-provider (OpenID certified), in its own
// process on 127.0.0.1. `node test/helpers/oidc-server.mjs <config.json>` prints {"port":N}.
// config: { port?: number, signingKey: <private JWK with kid>, clients: [...], resources: { <uri>: <scope> }, audiences?: { <uri>: <aud> } }
// (`audiences` sets the `aud` issued for a resource; default: the resource URI itself)
// Configured for client credentials, private_key_jwt, resource indicators and RFC 9068 JWT access
// tokens. The authorization-code flow's login and consent are scripted: GET /interaction/<uid>
// signs in the `login_hint` user and grants what was asked, so tests can drive the real flow.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = createServer();
server.once('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [config.signingKey] },
    clientAuthMethods: ['private_key_jwt', 'none'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? Object.keys(config.resources)[0],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!(resourceIndicator in config.resources)) throw new errors.InvalidTarget();
          return {
            scope: config.resources[resourceIndicator],
            audience: config.audiences?.[resourceIndicator] ?? resourceIndicator,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@contoso.com` }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    scopes: ['openid'],
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    try {
      // Scripted login + consent: the login_hint user grants the client what it asked for.
      const details = await provider.interactionDetails(req, res);
      const accountId = details.session?.accountId ?? details.params.login_hint;
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      // Grant what was asked: the OpenID scopes and the resource's scopes the prompt reports missing.
      const missing = details.prompt.details;
      grant.addOIDCScope(['openid', ...(missing.missingOIDCScope ?? [])].join(' '));
      const resource = details.params.resource ?? Object.keys(config.resources)[0];
      grant.addResourceScope(
        resource,
        (missing.missingResourceScopes?.[resource] ?? config.resources[resource].split(' ')).join(' '),
      );
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
  process.stdout.write(JSON.stringify({ port, issuer }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
