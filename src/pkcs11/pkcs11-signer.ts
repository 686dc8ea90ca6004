import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type * as Pkcs11Module from 'pkcs11js';
import type { Signer } from '../core/certificates/signer';
import { printable } from '../core/partner-text';
import type { SigningAlgorithm } from '../core/certificates/oauth-certificate';

/** Where a key is: the module, the token (by label or slot), the key (by label or id), and the user PIN. */
export interface Pkcs11KeyOptions {
  /** The PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  module: string;
  /** The token's label (or give `slot`). */
  token?: string;
  /** The token's slot id (or give `token`). */
  slot?: number;
  /** The private key's label, `CKA_LABEL` (or give `keyId`). */
  key?: string;
  /** The private key's id, `CKA_ID`, in hex (or give `key`). */
  keyId?: string;
  /**
   * The user PIN: `{ env: 'NAME' }` reads it from that environment variable (of `env`, default
   * `process.env`) each time the token is logged in to; a string is the PIN itself (from a secret
   * manager, in code). It appears in no message, event or log.
   */
  pin: string | { env: string };
  /** Where `pin.env` is read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A {@link Signer} over a PKCS#11 token, and what the CLI needs of the key. */
export interface Pkcs11Signer extends Signer {
  /** The key's public half, read from the token (the private half never leaves it). */
  publicKey(): KeyObject;
  /** Where the key is, for people: module, token and key (never the PIN). */
  readonly description: string;
  /** Logs out and closes the session (a later signature opens a new one). */
  close(): void;
}

type Pkcs11 = typeof Pkcs11Module;

/** pkcs11js, the optional peer: loaded when a PKCS#11 key is first used. */
function loadPkcs11(): Pkcs11 {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pkcs11js') as Pkcs11;
  } catch (error) {
    throw new Error('a PKCS#11 signer needs the optional peer dependency pkcs11js: npm i pkcs11js', { cause: error });
  }
}

/** One loaded and initialised module per path, for the whole process (C_Initialize is once per process). */
const modules = new Map<string, Pkcs11Module.PKCS11>();

function moduleAt(pkcs11: Pkcs11, path: string): Pkcs11Module.PKCS11 {
  let loaded = modules.get(path);
  if (!loaded) {
    loaded = new pkcs11.PKCS11();
    try {
      loaded.load(path);
    } catch (error) {
      throw new Error(`cannot load the PKCS#11 module ${path}: ${messageOf(error)}`, { cause: error });
    }
    initialize(pkcs11, loaded);
    modules.set(path, loaded);
  }
  return loaded;
}

function initialize(pkcs11: Pkcs11, loaded: Pkcs11Module.PKCS11): void {
  try {
    loaded.C_Initialize();
  } catch (error) {
    if (codeOf(error) !== pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error;
  }
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A PKCS#11 error's text (`CKR_PIN_INCORRECT`: pkcs11js names the code, never the arguments). */
function messageOf(error: unknown): string {
  return printable(String((error as Error)?.message ?? error), 200);
}

/** The session and key a signer works with; opened on demand, reopened after a failure. */
interface Session {
  handle: Buffer;
  key: Buffer;
  keyType: 'rsa' | 'ec';
}

/**
 * Signs with a private key held in a PKCS#11 token (an HSM, SoftHSM2): the key is found by label
 * or id, never read (it can be non-extractable), and signs RS256 (`CKM_SHA256_RSA_PKCS`) or
 * ES256 (`CKM_ECDSA` over a SHA-256 digest). One session is opened, logged in and reused;
 * signatures are made one at a time on it. When the session or the module fails (the token was
 * removed, the HSM restarted, the session closed), it is opened again and the signature tried once
 * more. Connects at once, so a wrong module, token, PIN or key is an error here.
 *
 * @example
 * ```ts
 * import { pkcs11Signer } from 's2s-oauth/pkcs11';
 * const signer = pkcs11Signer({ module: '/usr/lib/softhsm/libsofthsm2.so', token: 's2s', key: 'oauth-2026', pin: { env: 'HSM_PIN' } });
 * ```
 */
export function pkcs11Signer(options: Pkcs11KeyOptions): Pkcs11Signer {
  const pkcs11 = loadPkcs11();
  const keyName = options.key !== undefined ? `key "${options.key}"` : `key id ${options.keyId}`;
  const tokenName = options.token !== undefined ? `token "${options.token}"` : `slot ${options.slot}`;
  const description = `pkcs11 ${tokenName}, ${keyName}`;
  let session: Session | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const open = (): Session => {
    const module = moduleAt(pkcs11, options.module);
    const slot = findSlot(module, options);
    const handle = module.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
    try {
      try {
        module.C_Login(handle, pkcs11.CKU_USER, pinOf(options));
      } catch (error) {
        if (codeOf(error) !== pkcs11.CKR_USER_ALREADY_LOGGED_IN)
          throw new Error(`cannot log in to ${tokenName}: ${messageOf(error)}`, { cause: error });
      }
      const key = findKey(pkcs11, module, handle, options, pkcs11.CKO_PRIVATE_KEY);
      if (!key) throw new Error(`${tokenName} holds no private ${keyName}`);
      const type = module.C_GetAttributeValue(handle, key, [{ type: pkcs11.CKA_KEY_TYPE }])[0]!.value.readUInt32LE(0);
      const keyType = type === pkcs11.CKK_RSA ? 'rsa' : type === pkcs11.CKK_EC ? 'ec' : undefined;
      if (!keyType) throw new Error(`${keyName} in ${tokenName} is neither RSA nor EC`);
      return { handle, key, keyType };
    } catch (error) {
      module.C_CloseSession(handle);
      throw error;
    }
  };
  const current = (): Session => (session ??= open());
  const drop = () => {
    const stale = session;
    session = undefined;
    if (!stale) return;
    try {
      modules.get(options.module)?.C_CloseSession(stale.handle);
    } catch {
      // Already gone with the module or the token.
    }
  };

  const signOnce = async (input: Uint8Array, alg: SigningAlgorithm): Promise<Uint8Array> => {
    const { handle, key, keyType } = current();
    const module = modules.get(options.module)!;
    if ((alg === 'ES256') !== (keyType === 'ec'))
      throw new Error(`${keyName} is an ${keyType.toUpperCase()} key and cannot sign ${alg}`);
    const data = Buffer.from(input);
    if (keyType === 'rsa') {
      module.C_SignInit(handle, { mechanism: pkcs11.CKM_SHA256_RSA_PKCS }, key);
      return module.C_SignAsync(handle, data, Buffer.alloc(1024));
    }
    module.C_SignInit(handle, { mechanism: pkcs11.CKM_ECDSA }, key);
    return module.C_SignAsync(handle, createHash('sha256').update(data).digest(), Buffer.alloc(132));
  };

  const sign = (input: Uint8Array, alg: SigningAlgorithm): Promise<Uint8Array> => {
    // One operation at a time on the session: PKCS#11 sign operations do not interleave.
    const result = queue.then(async () => {
      try {
        return await signOnce(input, alg);
      } catch (error) {
        if (!isConnectionLoss(pkcs11, error)) throw error;
        drop();
        if (codeOf(error) === pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED) initialize(pkcs11, modules.get(options.module)!);
        return signOnce(input, alg);
      }
    });
    queue = result.catch(() => undefined);
    return result;
  };

  current(); // a wrong module, token, PIN or key is said now, not at the first call
  return {
    sign,
    description,
    publicKey: () => publicKeyOf(pkcs11, modules.get(options.module)!, current(), options),
    close: () => drop(),
  };
}

/** Failures after which a new session (and, for some, a new C_Initialize) may succeed. */
function isConnectionLoss(pkcs11: Pkcs11, error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === pkcs11.CKR_SESSION_HANDLE_INVALID ||
    code === pkcs11.CKR_SESSION_CLOSED ||
    code === pkcs11.CKR_USER_NOT_LOGGED_IN ||
    code === pkcs11.CKR_DEVICE_REMOVED ||
    code === pkcs11.CKR_DEVICE_ERROR ||
    code === pkcs11.CKR_TOKEN_NOT_PRESENT ||
    code === pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED
  );
}

function pinOf(options: Pkcs11KeyOptions): string {
  if (typeof options.pin === 'string') return options.pin;
  const pin = (options.env ?? process.env)[options.pin.env];
  if (pin === undefined || pin === '')
    throw new Error(`the environment variable ${options.pin.env} (the PIN) is not set`);
  return pin;
}

function findSlot(module: Pkcs11Module.PKCS11, options: Pick<Pkcs11KeyOptions, 'token' | 'slot'>): Buffer {
  const slots = module.C_GetSlotList(true);
  if (options.slot !== undefined) {
    const wanted = slots.find((s) => readHandle(s) === BigInt(options.slot!));
    if (!wanted) throw new Error(`no token in slot ${options.slot}`);
    return wanted;
  }
  const wanted = slots.find((s) => module.C_GetTokenInfo(s).label.trim() === options.token);
  if (!wanted) throw new Error(`no token labelled "${options.token}"`);
  return wanted;
}

/** A slot handle as a number (pkcs11js hands them out as little-endian buffers). */
function readHandle(handle: Buffer): bigint {
  return handle.length >= 8 ? handle.readBigUInt64LE(0) : BigInt(handle.readUInt32LE(0));
}

function findKey(
  pkcs11: Pkcs11,
  module: Pkcs11Module.PKCS11,
  session: Buffer,
  options: Pick<Pkcs11KeyOptions, 'key' | 'keyId'>,
  objectClass: number,
): Buffer | undefined {
  const template: Pkcs11Module.Template = [{ type: pkcs11.CKA_CLASS, value: objectClass }];
  if (options.key !== undefined) template.push({ type: pkcs11.CKA_LABEL, value: options.key });
  else template.push({ type: pkcs11.CKA_ID, value: Buffer.from(options.keyId!, 'hex') });
  module.C_FindObjectsInit(session, template);
  try {
    return module.C_FindObjects(session, 1)[0];
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

/** The public key of the key pair: from its public object, else from the private one's public members (RSA). */
function publicKeyOf(
  pkcs11: Pkcs11,
  module: Pkcs11Module.PKCS11,
  session: Session,
  options: Pkcs11KeyOptions,
): KeyObject {
  const publicObject = findKey(pkcs11, module, session.handle, options, pkcs11.CKO_PUBLIC_KEY);
  if (session.keyType === 'rsa') {
    const [n, e] = module.C_GetAttributeValue(session.handle, publicObject ?? session.key, [
      { type: pkcs11.CKA_MODULUS },
      { type: pkcs11.CKA_PUBLIC_EXPONENT },
    ]);
    return createPublicKey({
      key: { kty: 'RSA', n: n!.value.toString('base64url'), e: e!.value.toString('base64url') },
      format: 'jwk',
    });
  }
  if (!publicObject) throw new Error('the EC key pair has no public key object in the token');
  const point = module.C_GetAttributeValue(session.handle, publicObject, [{ type: pkcs11.CKA_EC_POINT }])[0]!.value;
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04 || X || Y (P-256: 65 bytes).
  const raw = point[0] === 0x04 && point.length === 67 ? point.subarray(2) : point;
  if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('the EC public key is not an uncompressed P-256 point');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** Options of {@link generatePkcs11KeyPair}. */
export interface GenerateKeyPairOptions extends Omit<Pkcs11KeyOptions, 'key' | 'keyId'> {
  /** The label the pair gets (`CKA_LABEL`). */
  key: string;
  /** `rsa` (2048 bits, RS256; the default) or `ec` (P-256, ES256). */
  keyType?: 'rsa' | 'ec';
}

/** DER of the P-256 curve's OID (1.2.840.10045.3.1.7), for CKA_EC_PARAMS. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/**
 * Generates a key pair in the token for a service's OAuth certificate: the private key is a
 * token object, private, sensitive and not extractable (`CKA_EXTRACTABLE` false): it can sign
 * and can never be read, by us or anyone. Refuses a label that is taken.
 */
export function generatePkcs11KeyPair(options: GenerateKeyPairOptions): void {
  const pkcs11 = loadPkcs11();
  const module = moduleAt(pkcs11, options.module);
  const session = module.C_OpenSession(findSlot(module, options), pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
  try {
    try {
      module.C_Login(session, pkcs11.CKU_USER, pinOf(options));
    } catch (error) {
      if (codeOf(error) !== pkcs11.CKR_USER_ALREADY_LOGGED_IN) throw new Error(`cannot log in: ${messageOf(error)}`);
    }
    if (findKey(pkcs11, module, session, options, pkcs11.CKO_PRIVATE_KEY))
      throw new Error(`the token holds a private key labelled "${options.key}" already`);
    const id = randomBytes(16);
    const common = [
      { type: pkcs11.CKA_TOKEN, value: true },
      { type: pkcs11.CKA_LABEL, value: options.key },
      { type: pkcs11.CKA_ID, value: id },
    ];
    const ec = options.keyType === 'ec';
    module.C_GenerateKeyPair(
      session,
      { mechanism: ec ? pkcs11.CKM_EC_KEY_PAIR_GEN : pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11.CKA_VERIFY, value: true },
        ...(ec
          ? [{ type: pkcs11.CKA_EC_PARAMS, value: P256_PARAMS }]
          : [
              { type: pkcs11.CKA_MODULUS_BITS, value: 2048 },
              { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
            ]),
      ],
      [
        ...common,
        { type: pkcs11.CKA_PRIVATE, value: true },
        { type: pkcs11.CKA_SENSITIVE, value: true },
        { type: pkcs11.CKA_EXTRACTABLE, value: false },
        { type: pkcs11.CKA_SIGN, value: true },
      ],
    );
  } finally {
    module.C_CloseSession(session);
  }
}
