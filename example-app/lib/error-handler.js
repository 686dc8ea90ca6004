// One error handler for the three services: s2s-oauth refusals carry status, headers (the
// WWW-Authenticate challenge, Retry-After) and a stable code; everything else is a 500 that
// names nothing internal.
function errorHandler(error, req, res, _next) {
  // Behind passport.authenticate(..., { failWithError: true }), the refusal with its code is req.s2sError.
  const err = req.s2sError ?? error;
  const status = err.status || err.statusCode || 500;
  if (err.headers) res.set(err.headers);
  if (status >= 500 && status !== 503) console.error(err);
  res.status(status).json({
    error: err.code || (status >= 500 ? 'internal_error' : 'bad_request'),
    ...(status < 500 && err.expose !== false && err.message && { message: err.message }),
  });
}

/** Relays a partner's answer to our own caller: status and JSON body. */
async function relay(res, partnerResponse) {
  const body = await partnerResponse.text();
  res
    .status(partnerResponse.status)
    .type('application/json')
    .send(body || '{}');
}

module.exports = { errorHandler, relay };
