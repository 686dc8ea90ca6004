import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/*
 * The public entry, pinned: every exported name is a semver promise, so adding or removing one
 * must be a decision (update this list, the README and the CHANGELOG together).
 */
const root = join(__dirname, '..', '..');

// The main entry.
const RUNTIME = [
  'ConfigError',
  'MemoryReplayStore',
  'PartnerFetchError',
  'S2SAuth',
  'SigningError',
  'TOKEN_ERROR_CODES',
  'TokenError',
  'createOAuthCertificate',
  'createOAuthCertificateForSigner',
  'createS2SAuth',
  'loadConfig',
  'parseConfig',
];
const TYPES_ONLY = [
  'AuthorizationServer',
  'AuthorizationServerClient',
  'AuthorizationServerClientInput',
  'AuthorizationServerConfig',
  'AuthorizationServerConfigInput',
  'AuthorizationServerDefaults',
  'AuthorizationServerMetadata',
  'AuthorizationServers',
  'BearerErrorValue',
  'CertificateEvent',
  'CertificatePairInput',
  'CheckStep',
  'Clock',
  'ConfigIssue',
  'CreateCertificateOptions',
  'CreatedCertificate',
  'EventSink',
  'FleetEvent',
  'ReplayStoreEvent',
  'ReloadEvent',
  'PartnerCertificateEvent',
  'PartnerChangeEvent',
  'Logger',
  'LogMethod',
  'Instrumentation',
  'SpanName',
  'SpanAttributes',
  'SpanRunner',
  'SigningCertificateEvent',
  'ReloadResult',
  'Explanation',
  'GetTokenOptions',
  'IssuerMatch',
  'Jwks',
  'KeySet',
  'KeySource',
  'KeySourceConfig',
  'KeySourceEvent',
  'KeySourceFailure',
  'KeySourceInput',
  'KeySourcesInput',
  'MaybePromise',
  'MetadataDocument',
  'MetadataKey',
  'MetadataRouterOptions',
  'MintOptions',
  'MintedToken',
  'NextCertificateInput',
  'OAuthCertificate',
  'OutboundConfig',
  'OutboundEvent',
  'OutboundInput',
  'OutboundSettingsInput',
  'Partner',
  'PartnerBearerStrategy',
  'PartnerConfig',
  'PartnerConfigInput',
  'PartnerDefaults',
  'PartnerFetch',
  'PartnerFetchInit',
  'PartnerIdentity',
  'PartnerRegistry',
  'PartnerStateStore',
  'PartnerStateSnapshot',
  'StoredPartnerRecord',
  'PartnerChange',
  'VersionedPartnerChange',
  'PassportActions',
  'PemSource',
  'Principal',
  'PublicJwk',
  'RemoteDocumentSource',
  'ReplayAnswer',
  'ReplayStore',
  'ResolvedConfig',
  'S2SAuthOptions',
  'S2SConfig',
  'S2SConfigDefaults',
  'S2SConfigInput',
  'S2SEvent',
  'ServerMatch',
  'SigningAlgorithm',
  'SigningCredential',
  'Signer',
  'SignerInput',
  'SigningInput',
  'SigningKeyRing',
  'ScheduledCredential',
  'TokenAudience',
  'TokenErrorCode',
  'TokenErrorCodeInfo',
  'TokenErrorOptions',
  'TokenIssuer',
  'TokenVerifier',
  'TokensInput',
  'TrustLevel',
  'UserIdentity',
  'VerificationEvent',
  'VerificationKey',
];

/** Each entry point: its run-time names and its type-only names. */
const ENTRIES: Record<string, { dts: string; runtime: string[]; typesOnly: string[] }> = {
  's2s-oauth': { dts: 'index.d.ts', runtime: RUNTIME, typesOnly: TYPES_ONLY },
  's2s-oauth/redis': {
    dts: 'redis/index.d.ts',
    runtime: ['RedisReplayStore', 'redisFleet'],
    typesOnly: [
      'RedisReplayStoreOptions',
      'RedisFleetOptions',
      'RedisLike',
      'RedisSubscriberLike',
      'PartnerStateStore',
      'PartnerStateSnapshot',
      'StoredPartnerRecord',
      'PartnerChange',
      'VersionedPartnerChange',
    ],
  },
  's2s-oauth/pkcs11': {
    dts: 'pkcs11/index.d.ts',
    runtime: ['pkcs11Signer', 'generatePkcs11KeyPair'],
    typesOnly: ['Pkcs11Signer', 'Pkcs11KeyOptions', 'GenerateKeyPairOptions', 'Signer'],
  },
  's2s-oauth/telemetry': {
    dts: 'telemetry/index.d.ts',
    runtime: ['METRIC_NAMES', 'openTelemetry'],
    typesOnly: ['OpenTelemetryOptions', 'Instrumentation', 'SpanName', 'SpanAttributes', 'SpanRunner'],
  },
  's2s-oauth/testing': {
    dts: 'testing/index.d.ts',
    runtime: ['createTestPartner', 'createTestService'],
    typesOnly: [
      'TestPartner',
      'TestPartnerOptions',
      'TestPartnerSettings',
      'TestMintOptions',
      'TestServiceInput',
      'TestServiceOptions',
      'ServedMetadata',
      'AudienceTarget',
    ],
  },
};

describe.each(Object.entries(ENTRIES))('the public entry %s', (specifier, { dts, runtime, typesOnly }) => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', dts))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  });

  it('exports exactly these names at run time', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual([...runtime].sort());
  });

  it('declares exactly these names (run-time and type-only)', () => {
    const entry = join(root, 'dist', dts);
    const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const names = checker.getExportsOfModule(module).map((s) => s.getName());
    expect(names.sort()).toEqual([...runtime, ...typesOnly].sort());
  });
});
