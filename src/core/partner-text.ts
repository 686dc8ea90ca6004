/*
 * Text a partner (or a network peer) supplied reaches our messages, events and CLI output. It is
 * filtered first, in one place: an ESC sequence in a partner's realm or error description must not
 * be able to repaint a terminal (a forged green PASS), nor a token it echoes end up in a log.
 */

/** Anything shaped like a compact JWS. */
const TOKEN_SHAPED = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/**
 * `text` safe to print: printable ASCII only (everything else, control characters and ESC
 * included, becomes `?`), anything shaped like a token replaced, at most `max` characters.
 */
export function printable(text: string, max = 300): string {
  return String(text)
    .replace(TOKEN_SHAPED, '(a token, not shown)')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, max);
}
