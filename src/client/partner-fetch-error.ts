/**
 * Why the fetch wrapper refused a call: nothing was sent and no token left the process, except for
 * `redirect_refused`, where the partner answered with a redirect to another origin that was not
 * followed.
 */
export class PartnerFetchError extends Error {
  /** Always `PartnerFetchError`. */
  override readonly name = 'PartnerFetchError';
  constructor(
    /** A stable code: what was refused, or what failed before anything could be sent. */
    readonly code:
      | 'no_partner_for_url'
      | 'url_not_configured_for_partner'
      | 'insecure_url'
      | 'unknown_partner'
      | 'unknown_authorization_server'
      | 'partner_disabled'
      | 'partner_identity_unknown'
      | 'realm_discovery_failed'
      | 'token_request_failed'
      | 'user_token_unavailable'
      | 'redirect_refused'
      | 'signing_failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
