// Graphite tagged paths on the page: the pieces of a path to colour (name, tags, values), and the name carbon
// stores for it.
//
// The colouring is display only: it cuts the path as written at `;` and `=` (or the OpenMetrics form's
// braces and quotes), and a path it cannot cut cleanly is drawn plain. Whether a path is valid, and the
// name carbon stores (tags sorted, the last of a repeated tag kept, `~` and `name=` dropped, the prefix in
// front), come from the Rust core: the page encodes the datapoint alone and reads the path back from the
// frame's bytes, exactly as it goes to carbon. Nothing here decides what carbon accepts.

/** Is `path` written as a tagged series (carbon's test: a `;`, or the OpenMetrics form `name{...="..."}`)? */
export function isTagged(path) {
  return path.includes(';') || (path.endsWith('"}') && path.includes('{'));
}

/**
 * `path` cut into pieces to colour: [{ kind, text }] with kind 'name', 'tag', 'value' or 'punct', whose texts
 * join to `path`; a plain path is one 'name' piece.
 */
export function pieces(path) {
  if (!isTagged(path)) return [{ kind: 'name', text: path }];
  if (!path.includes(';')) return openMetricsPieces(path);
  const [name, ...segments] = path.split(';');
  const out = [{ kind: 'name', text: name }];
  for (const seg of segments) {
    out.push({ kind: 'punct', text: ';' });
    const eq = seg.indexOf('=');
    if (eq < 0) {
      out.push({ kind: 'tag', text: seg });
      continue;
    }
    out.push({ kind: 'tag', text: seg.slice(0, eq) }, { kind: 'punct', text: '=' }, { kind: 'value', text: seg.slice(eq + 1) });
  }
  return out.filter((p) => p.text !== '');
}

// `name{tag="value",...}`: pairs as the OpenMetrics form writes them; anything else in the braces is drawn
// as punctuation.
function openMetricsPieces(path) {
  const open = path.indexOf('{');
  const out = [{ kind: 'name', text: path.slice(0, open) }];
  const body = path.slice(open);
  const pair = /([^{},="\s]+)(=")((?:[^"\\]|\\.)*)(")/g;
  let at = 0;
  for (const m of body.matchAll(pair)) {
    if (m.index > at) out.push({ kind: 'punct', text: body.slice(at, m.index) });
    out.push({ kind: 'tag', text: m[1] }, { kind: 'punct', text: m[2] }, { kind: 'value', text: m[3] }, { kind: 'punct', text: m[4] });
    at = m.index + m[0].length;
  }
  if (at < body.length) out.push({ kind: 'punct', text: body.slice(at) });
  return out.filter((p) => p.text !== '');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The path as carbon stores it, written by the core: `path` (under `prefix`) encoded alone in protocol 2,
 * read back from the frame (a 4-byte length, PROTO 2, EMPTY_LIST, MARK, then the path as BINUNICODE: `X`, its
 * length as 4 bytes little-endian, its UTF-8). Undefined if the core refuses it.
 */
export function storedName(cp, path, prefix) {
  let frames;
  try {
    frames = cp.encodeFrames([{ path, value: 0, timestamp: 0 }], { protocol: 2, prefix });
  } catch {
    return undefined;
  }
  const f = frames[0];
  if (!f || f[8] !== 0x58) return undefined;
  const len = f[9] | (f[10] << 8) | (f[11] << 16) | (f[12] << 24);
  return decoder.decode(f.subarray(13, 13 + len));
}
