// Captured bytes as people paste them: hex (any spacing, `0x` or `\x` prefixes, commas or colons between
// bytes) or a Python bytes literal (`b'\x00\x00\x00\x1e\x80\x02](X...'`, as `print(frame)` shows it).

const ESCAPES = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11 };

function bytesLiteral(src) {
  const out = [];
  let i = 0;
  const fail = (why) => ({ error: `Python bytes literal: ${why} at character ${i + 1}` });
  while (i < src.length) {
    while (i < src.length && /\s/.test(src[i])) i++;
    if (i >= src.length) break;
    if (!/^[bB]['"]/.test(src.slice(i, i + 2))) return fail("expected b'...'");
    const q = src[i + 1];
    i += 2;
    for (;;) {
      if (i >= src.length) return fail('unterminated literal');
      const c = src[i];
      if (c === q) {
        i++;
        break;
      }
      if (c.charCodeAt(0) > 127) return fail('non-ASCII character in a bytes literal');
      if (c !== '\\') {
        out.push(c.charCodeAt(0));
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e === 'x') {
        const h = src.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return fail('\\x needs two hex digits');
        out.push(parseInt(h, 16));
        i += 4;
      } else if (e !== undefined && /[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1));
        out.push(parseInt(m[0], 8) & 0xff);
        i += 1 + m[0].length;
      } else if (e === '\n') {
        i += 2;
      } else if (e !== undefined && e in ESCAPES) {
        out.push(ESCAPES[e]);
        i += 2;
      } else {
        // Python keeps an unknown escape as it is.
        out.push(92);
        i++;
      }
    }
  }
  return { bytes: Uint8Array.from(out) };
}

/** @returns {{ bytes: Uint8Array } | { error: string }} */
export function parseCaptured(text) {
  const src = text.trim();
  if (/^[bB]['"]/.test(src)) return bytesLiteral(src);
  const digits = src.replace(/0x|\\x/gi, ' ').replace(/[\s,:;]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) return { error: `not hex: ${JSON.stringify(bad[0])} (paste hex digits, or a Python bytes literal b'...')` };
  if (digits.length % 2) return { error: `an odd number of hex digits (${digits.length})` };
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.substr(2 * i, 2), 16);
  return { bytes };
}
