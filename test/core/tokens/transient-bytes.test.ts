import { base64urlText, signingInputBytes } from '../../../src/core/tokens/transient-bytes';

describe('transient bytes', () => {
  it('decodes base64url text of any size, up to and past the reused buffer', () => {
    for (const text of ['', 'é', '{"a":"☃"}', 'x'.repeat(49_151), 'y'.repeat(60_000)]) {
      expect(base64urlText(Buffer.from(text).toString('base64url'))).toBe(text);
    }
  });

  it("gives a signing input's UTF-8 bytes, small or large, each call's own until the next", () => {
    expect(signingInputBytes('a.b').toString()).toBe('a.b');
    expect(signingInputBytes('é.☃').equals(Buffer.from('é.☃'))).toBe(true);
    const large = 'h'.repeat(30_000) + '.p';
    expect(signingInputBytes(large).equals(Buffer.from(large))).toBe(true);
    const first = signingInputBytes('first.call');
    expect(first.toString()).toBe('first.call');
    signingInputBytes('second.call'); // the reused buffer now holds this one: views do not outlive their call
    expect(signingInputBytes('third').toString()).toBe('third');
  });
});
