// DEMO ONLY - NOT AUTHENTICATION. The user-facing APIs of im and scheduler take the signed-in user
// from an `X-Demo-User` header, so the demo can act as alice or bob without a login system. A
// real service authenticates its users (OpenID Connect, a session...) before calling partners
// on their behalf. Server-to-server calls, the subject of this example, are real s2s-oauth.
function demoUser(req, res, next) {
  const user = req.get('x-demo-user');
  if (!user || !/^[^@\s]+@[^@\s]+$/.test(user)) {
    res.status(401).json({ error: 'demo_user_missing', message: 'send X-Demo-User: <upn> (demo only)' });
    return;
  }
  req.demoUser = user.toLowerCase();
  next();
}

module.exports = { demoUser };
