// Runs a service when its file is started directly: listens on 127.0.0.1:$PORT (0 = any free
// port), prints {"service","url"} for whoever started it, and closes cleanly on SIGTERM / SIGINT.
function serve(name, app, onClose = () => {}) {
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(JSON.stringify({ service: name, url: `http://127.0.0.1:${server.address().port}` }));
  });
  const stop = () =>
    server.close(() => {
      onClose();
      process.exit(0);
    });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

module.exports = { serve };
