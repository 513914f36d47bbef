// The inspector's text (core `decode::inspect`, through the package's `inspect`) cut into frames, each
// with its opcodes (payload offset, name, argument) and the verdict lines after them.
//
// The page draws its annotated hex dumps from these offsets, so every annotation comes from the core's
// own reading of the bytes; nothing here decodes pickle.

// `{offset:5}: {code:<4} {indent}{NAME}{padding} {arg}`, as pickletools.dis prints it.
const OP = /^ *(\d+): (.{4}) ( *)([A-Z][A-Z0-9_]*)(?: +(.*))?$/;
const ERROR = /^ *(\d+): error: (.*)$/;
const FRAME = /^frame (\d+) at byte (\d+): (.*)$/;
const BARE = /^no length header: one bare pickle payload of (\d+) bytes$/;
// The inspector lists nothing after the opcode the decoder refuses; this line counts what it left.
const UNLISTED = /^(\d+) byte\(s\) after the refusal not listed$/;

/**
 * @param {string} text the inspector's output
 * @returns {Array<{ at: number, header: boolean, head: string, payloadLen?: number, ops: Array<{offset,
 *   name, arg, depth}>, lines: string[], verdict: string[], refused: boolean, error?: {offset, text},
 *   unlisted?: number }>}
 *   `at`: the frame's first byte in the input; `lines`: the frame's whole listing; `verdict`: what follows
 *   the opcodes; `unlisted`: the payload bytes after a refused opcode, which the listing leaves out.
 */
export function parseListing(text) {
  const frames = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = FRAME.exec(line))) {
      const size = /^(\d+) payload bytes$/.exec(m[3]);
      cur = {
        at: Number(m[2]),
        header: true,
        head: line,
        payloadLen: size ? Number(size[1]) : undefined,
        ops: [],
        lines: [line],
        verdict: [],
        refused: !size,
      };
      if (!size) cur.verdict.push(m[3]);
      frames.push(cur);
      continue;
    }
    if ((m = BARE.exec(line))) {
      cur = { at: 0, header: false, head: line, payloadLen: Number(m[1]), ops: [], lines: [line], verdict: [], refused: false };
      frames.push(cur);
      continue;
    }
    if (!cur) continue;
    cur.lines.push(line);
    if ((m = UNLISTED.exec(line))) {
      cur.unlisted = Number(m[1]);
      cur.verdict.push(line);
    } else if ((m = ERROR.exec(line))) {
      cur.error = { offset: Number(m[1]), text: m[2] };
      cur.verdict.push(`error at byte ${m[1]}: ${m[2]}`);
    } else if (cur.verdict.length === 0 && (m = OP.exec(line))) {
      cur.ops.push({ offset: Number(m[1]), name: m[4], arg: m[5] ?? '', depth: m[3].length / 4, line: cur.lines.length - 1 });
    } else if (!line.startsWith('highest protocol among opcodes')) {
      if (line.startsWith('refused: ')) cur.refused = true;
      cur.verdict.push(line);
    }
  }
  return frames;
}

/**
 * Byte spans of a frame's opcodes: [{ start, end, op }] with payload offsets (end exclusive); the last
 * opcode runs to the end of what the listing covered (STOP is one byte; a broken opcode to the end; a
 * refused one up to the bytes left unlisted).
 */
export function opSpans(frame) {
  const spans = [];
  const len = frame.payloadLen ?? 0;
  const listed = len - (frame.unlisted ?? 0);
  frame.ops.forEach((op, k) => {
    const next = frame.ops[k + 1];
    const end = next ? next.offset : op.name === 'STOP' ? op.offset + 1 : frame.error ? frame.error.offset : listed;
    spans.push({ start: op.offset, end: Math.min(Math.max(end, op.offset + 1), len), op });
  });
  return spans;
}

/** What kind of thing an opcode pushes: a string, a number, a memo operation or structure. */
export function role(name) {
  if (/UNICODE|STRING/.test(name)) return 'text';
  if (/INT|LONG|FLOAT/.test(name)) return 'number';
  if (/PUT|GET|MEMOIZE/.test(name)) return 'memo';
  return 'struct';
}
