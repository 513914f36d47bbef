// The page's input through the package's streaming encoder: every line's fate (blank, bad with the
// reason, or in which frame) and every frame with the lines it holds and why it was closed.
//
// It feeds the lines to `FrameEncoder` one at a time, as a sender would: a refused datapoint leaves the
// encoder as it was, so a bad line costs only itself and the rest still encodes. That is also what the
// core's `examples/encode.rs` does with `Splitter`, so both produce the same bytes for the same text.
import { parseLine, splitLines } from './lines.mjs';

/**
 * @param {typeof import('carbon-pickle')} cp the package
 * @param {string} text carbon plaintext
 * @param {{ protocol: 0|2, prefix?: string, maxBytes: number, maxPoints: number }} options
 * @returns {{ lines, frames, points, bad, optionsError? }}
 *   lines[i]: { text, blank?, error?, frame?, point? }; frames[k]: { bytes, lines: [i...], points, closedBy }
 */
export function encodeText(cp, text, options) {
  const lines = splitLines(text).map((t) => ({ text: t }));
  const frames = [];
  let encoder;
  try {
    encoder = new cp.FrameEncoder(options);
  } catch (err) {
    return { lines, frames, points: 0, bad: 0, optionsError: err.message };
  }
  let open = []; // lines in the open frame
  let points = 0;
  let bad = 0;
  const close = (bytes, closedBy) => {
    frames.push({ bytes: bytes.slice(), lines: open, points: open.length, closedBy });
    for (const i of open) lines[i].frame = frames.length - 1;
    open = [];
  };
  try {
    lines.forEach((line, i) => {
      const parsed = parseLine(line.text);
      if (parsed.blank) {
        line.blank = true;
        return;
      }
      if (parsed.error) {
        line.error = parsed.error;
        bad++;
        return;
      }
      let done;
      try {
        done = encoder.push(parsed.point);
      } catch (err) {
        line.error = coreMessage(err, parsed.point.path);
        bad++;
        return;
      }
      for (const bytes of done) {
        // The frame closed because this datapoint did not fit: by count or by bytes.
        close(bytes, open.length >= options.maxPoints ? { reason: 'points', line: i } : { reason: 'bytes', line: i });
      }
      line.point = parsed.point;
      open.push(i);
      points++;
    });
    for (const bytes of encoder.flush()) close(bytes, { reason: 'end' });
  } finally {
    encoder.free();
  }
  return { lines, frames, points, bad };
}

// The package prefixes the core's reason with the datapoint it refused ("datapoint (path "a..b"): "); the
// line already shows it.
function coreMessage(err, path) {
  const quoted = JSON.stringify(path);
  const m = /^datapoint(?: \d+)? \(path /.exec(err.message);
  if (m && err.message.startsWith(`${quoted}): `, m[0].length)) return err.message.slice(m[0].length + quoted.length + 3);
  return err.message;
}
