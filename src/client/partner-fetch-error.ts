/** Why the fetch wrapper refused to send a request: nothing was sent, and no token left the process. */
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
      | 'user_token_unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
