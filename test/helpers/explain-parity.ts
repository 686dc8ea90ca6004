import type { TokenVerifier } from '../../src/core/tokens/token-verifier';
import { TokenError } from '../../src/core/errors/token-error';
import { inspectForSecrets } from './secret-scan';

/**
 * Makes every refusal of `verifier` on the request path also run through `explain()` at once,
 * in the same state, and records where the two disagree: `explain()` must narrate the very
 * checks `verify()` runs, never different ones. Returns a function that yields the disagreements
 * so far (and forgets them), for an `afterEach`.
 */
export function recordExplainParity(verifier: TokenVerifier): () => Promise<string[]> {
  let checks: Array<Promise<string | undefined>> = [];
  const authenticate = verifier.authenticate.bind(verifier);
  const compare = (token: string, error: unknown) => {
    if (!(error instanceof TokenError)) return;
    inspectForSecrets(`refusal ${error.code}`, { message: error.message, headers: error.headers, claim: error.claim });
    checks.push(
      verifier
        .explain(token)
        .then((explained) =>
          explained.error?.code === error.code
            ? undefined
            : `verify: ${error.code}, explain: ${explained.error?.code ?? 'accepted'}`,
        ),
    );
  };
  verifier.authenticate = (token: string) => {
    let result: ReturnType<TokenVerifier['authenticate']>;
    try {
      result = authenticate(token);
    } catch (error) {
      compare(token, error);
      throw error;
    }
    if (result instanceof Promise) result.catch((error: unknown) => compare(token, error));
    return result;
  };
  return async () => {
    const found = (await Promise.all(checks)).filter((d): d is string => d !== undefined);
    checks = [];
    return found;
  };
}
