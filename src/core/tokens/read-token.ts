import { TokenError } from '../errors/token-error';
import { issuerOf } from './claim-checks';
import { parseCompactJws, type CompactJws } from './compact-jws';
import { actorTokenOf, checkActorTokenForm } from './legacy-token';
import type { AllowedAlgorithm } from './signature-algorithms';
import { checkSignedHeader } from './token-header';
import type { Trace } from './verification-context';

/** A token read and its signed head checked, before anything is trusted. */
export type ReadToken =
  /** A signed token (a partner's or an authorization server's). */
  | { form: 'signed'; jws: CompactJws; alg: AllowedAlgorithm; iss: string }
  /** Microsoft's legacy form: the unsigned outer token around the signed actor token (`jws`). */
  | { form: 'legacy'; outer: CompactJws; jws: CompactJws; alg: AllowedAlgorithm; iss: string };

/**
 * Reads a token once: its size, its compact form, and the header and issuer of the one token in
 * it that is signed (for the legacy form, the actor token inside the unsigned outer token).
 */
export function readToken(token: string, maxTokenBytes: number, trace: Trace): ReadToken {
  if (token.length > maxTokenBytes) throw new TokenError('token_too_large', `the token is over ${maxTokenBytes} bytes`);
  const outer = parseCompactJws(token);
  if (outer.header.alg === 'none') {
    const jws = parseCompactJws(actorTokenOf(outer));
    checkActorTokenForm(jws);
    return { form: 'legacy', outer, jws, alg: checkSignedHeader(jws.header), iss: issuerOf(jws.payload) };
  }
  const alg = checkSignedHeader(outer.header);
  trace?.('format', `compact JWS, alg ${alg}`);
  trace?.('algorithm', `${alg} is allowed`);
  if (outer.payload.actortoken !== undefined)
    throw new TokenError('token_malformed', 'only the legacy outer token carries an actor token', {
      claim: 'actortoken',
    });
  return { form: 'signed', jws: outer, alg, iss: issuerOf(outer.payload) };
}
