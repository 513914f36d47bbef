// The page's input through the package's streaming encoder: every line's fate (blank, bad with the
// reason, or in which frame) and every frame with the lines it holds and why it was closed.
//
// The lines are read by the Rust core's reader (lines.mjs), which also puts each datapoint through the
// encoder's checks: a bad line is marked with the core's own words, as core/examples/encode.rs prints them.
// The datapoints go to `FrameEncoder` one at a time, as a sender would, so that each line is seen in its
// frame; the example pushes the same datapoints into a `Splitter`, so both produce the same bytes.
import { HAS_READER, readLines, splitLines } from './lines.mjs';
import { isTagged, storedName } from './tagged.mjs';

/**
 * @param {typeof import('carbon-pickle')} cp the package
 * @param {string} text carbon plaintext
 * @param {{ protocol: 0|2, prefix?: string, maxBytes: number, maxPoints: number }} options
 * @returns {{ lines, frames, points, bad, optionsError? }}
 *   lines[i]: { text, blank?, error?, frame?, point?, stored? }; frames[k]: { bytes, lines: [i...], points, closedBy }
 *   `stored`: for a tagged path, the name carbon stores (canonical, prefix included), as the core wrote it
 */
export function encodeText(cp, text, options) {
  const lines = splitLines(text).map((t) => ({ text: t }));
  const frames = [];
  if (!HAS_READER) {
    return { lines, frames, points: 0, bad: 0, optionsError: "this wasm module has no line reader (the package's `lines` feature: scripts/serve-www.sh builds it)" };
  }
  let encoder;
  try {
    encoder = new cp.FrameEncoder(options);
  } catch (err) {
    return { lines, frames, points: 0, bad: 0, optionsError: err.message };
  }
  const read = readLines(text, options, Math.floor(Date.now() / 1000));
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
      const parsed = read.get(i + 1);
      if (parsed === undefined) {
        line.blank = true;
        return;
      }
      if (parsed.error !== undefined) {
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
      if (isTagged(parsed.point.path)) line.stored = storedName(cp, parsed.point.path, options.prefix);
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
