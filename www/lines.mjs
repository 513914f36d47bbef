// Carbon plaintext lines (`path value timestamp`) into datapoints, by the same rules as the core's
// `examples/encode.rs`, so that the page and the Rust example turn the same text into the same frames:
// fields split on ASCII whitespace, numbers in Rust's `f64` syntax, blank lines skipped.

// Rust's `str::split_ascii_whitespace`: space, tab, line feed, form feed, carriage return.
const ASCII_WS = /[ \t\n\f\r]+/;
// A line Rust's `str::trim` leaves empty (Unicode White_Space: JavaScript's `\s` without U+FEFF, plus U+0085).
const RUST_BLANK = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
// Rust's `f64::from_str` grammar (inf, infinity and nan in any case; no hex, no underscores, no spaces).
const RUST_F64 = /^[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$/i;

/** Parses a number as Rust's `f64::from_str` does; `undefined` if Rust would refuse it. */
export function parseRustF64(s) {
  if (!RUST_F64.test(s)) return undefined;
  const body = s.replace(/^[+-]/, '').toLowerCase();
  const sign = s.startsWith('-') ? -1 : 1;
  if (body === 'nan') return NaN;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  // JavaScript's Number() rounds decimal strings correctly, as Rust does, and keeps the sign of -0.
  return Number(s);
}

// Rust's `{:?}` of a string, close enough for messages (JSON's escapes).
const debugStr = (s) => JSON.stringify(s);

/**
 * One line: `{ blank: true }`, `{ point: { path, value, timestamp } }` or `{ error }` (the example's text).
 */
export function parseLine(line) {
  if (RUST_BLANK.test(line)) return { blank: true };
  const fields = line.split(ASCII_WS).filter((f) => f !== '');
  if (fields.length !== 3) return { error: 'expected `path value timestamp`' };
  const [path, v, t] = fields;
  const value = parseRustF64(v);
  if (value === undefined) return { error: `value ${debugStr(v)} is not a number` };
  const timestamp = parseRustF64(t);
  if (timestamp === undefined) return { error: `timestamp ${debugStr(t)} is not a number` };
  return { point: { path, value, timestamp } };
}

/** Splits text into lines as Rust's `BufRead::lines` does (`\n` or `\r\n`, no empty last line). */
export function splitLines(text) {
  if (text === '') return [];
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) lines.pop();
  return lines;
}
