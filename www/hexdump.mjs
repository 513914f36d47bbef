// Annotated hex dumps: a frame's bytes in rows of 16, each opcode's bytes in one coloured span (opcode
// byte in bold), and per row the opcodes that start in it, all placed by the inspector's offsets.
import { opSpans, role } from './listing.mjs';

const ROW = 16;
/** Bytes drawn per frame; the rest is summarised (the copy buttons give all of it). */
export const MAX_DUMP_BYTES = 1024;

export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const hex2 = (b) => b.toString(16).padStart(2, '0');
export const toHex = (bytes) => Array.from(bytes, hex2).join('');

// Each opcode's role in the datapoint it belongs to: path, then timestamp, then value.
function roles(spans) {
  let want = 'path';
  return spans.map(({ op }) => {
    const r = role(op.name);
    if (r === 'text' || r === 'number') {
      const got = want;
      want = want === 'path' ? 'ts' : want === 'ts' ? 'value' : 'path';
      return got;
    }
    return r;
  });
}

/**
 * HTML of the dump of one frame.
 * @param {Uint8Array} bytes the frame (header included when `frame.header`) or a bare payload
 * @param {object} frame one entry of parseListing()
 * @param {string} key prefix for data-op ids (unique per frame on the page)
 */
export function dumpHtml(bytes, frame, key) {
  const hdr = frame.header ? 4 : 0;
  const payload = bytes.subarray(hdr);
  const spans = opSpans({ ...frame, payloadLen: Math.min(frame.payloadLen ?? payload.length, payload.length) });
  const kinds = roles(spans);
  // Which span each payload byte is in (-1: none, e.g. bytes after STOP or after a broken opcode).
  const owner = new Int32Array(payload.length).fill(-1);
  spans.forEach((s, k) => owner.fill(k, s.start, s.end));
  const shown = Math.min(payload.length, MAX_DUMP_BYTES);
  const out = [];
  if (frame.header) {
    const note =
      bytes.length < 4
        ? `header cut short: ${bytes.length} of 4 bytes`
        : `header: ${(bytes[0] * 2 ** 24 + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3]).toLocaleString('en')} payload bytes follow`;
    out.push(
      `<div class="row"><span class="off">len</span><span class="hex"><span class="op r-header">${Array.from(bytes.subarray(0, 4), hex2).join(' ')}</span></span>` +
        `<span class="ann">${note}</span></div>`,
    );
  }
  for (let row = 0; row < shown; row += ROW) {
    const end = Math.min(row + ROW, shown);
    const cells = [];
    const starts = [];
    let i = row;
    while (i < end) {
      const k = owner[i];
      let j = i + 1;
      while (j < end && owner[j] === k) j++;
      const hexes = [];
      for (let x = i; x < j; x++) {
        const h = hex2(payload[x]);
        hexes.push(k >= 0 && x === spans[k].start ? `<b>${h}</b>` : h);
      }
      if (k >= 0) {
        const { op } = spans[k];
        const title = `${op.name}${op.arg ? ' ' + op.arg : ''} (payload byte ${op.offset})`;
        cells.push(`<span class="op r-${kinds[k]}" data-op="${key}-${op.offset}" title="${esc(title)}">${hexes.join(' ')}</span>`);
        if (spans[k].start >= i && spans[k].start < j) starts.push(op);
      } else {
        cells.push(`<span class="op r-none">${hexes.join(' ')}</span>`);
      }
      i = j;
    }
    const ann = starts.map((op) => `<span class="n">${esc(op.name)}</span>${op.arg && !op.arg.startsWith('(') ? ' ' + esc(op.arg) : ''}`).join('<i> · </i>');
    out.push(`<div class="row"><span class="off">${row}</span><span class="hex">${cells.join(' ')}</span><span class="ann">${ann}</span></div>`);
  }
  if (shown < payload.length) {
    out.push(`<div class="row more">… ${(payload.length - shown).toLocaleString('en')} more bytes not drawn</div>`);
  }
  return out.join('');
}

/** Listing lines drawn per frame (a frame of 500 datapoints has about 3,500; the copy buttons give all). */
export const MAX_LISTING_LINES = 300;

// The inspector's own notes on what it left out: the bytes after a refused opcode, a listing cut at its size bound.
const UNLISTED_OR_CUT = /after the refusal not listed$|^listing cut:/;

/** A refused frame's last lines (what was left unlisted, the refusal) are drawn even when those before are not. */
const REFUSAL_LINES = 3;

/** HTML of a frame's listing, each opcode line tagged with its data-op id. */
export function listingHtml(frame, key) {
  const opLines = new Map(frame.ops.map((op) => [op.line, op]));
  const lineHtml = (n) => {
    const line = frame.lines[n];
    const op = opLines.get(n);
    if (op) return `<div class="ln" data-op="${key}-${op.offset}">${esc(line)}</div>`;
    const cls = n === 0 ? 'ln head' : /^(refused|.*error:)/.test(line.trim()) || /truncated|refused/.test(line) ? 'ln bad' : /^datapoints:/.test(line) ? 'ln ok' : UNLISTED_OR_CUT.test(line) ? 'ln more' : 'ln';
    return `<div class="${cls}">${esc(line)}</div>`;
  };
  const all = frame.lines.length;
  const tail = all > MAX_LISTING_LINES && frame.refused ? Math.min(REFUSAL_LINES, all - MAX_LISTING_LINES) : 0;
  const head = Math.min(all - tail, MAX_LISTING_LINES);
  const html = [];
  for (let n = 0; n < head; n++) html.push(lineHtml(n));
  if (head + tail < all) {
    html.push(`<div class="ln more">… ${(all - head - tail).toLocaleString('en')} more lines not drawn</div>`);
  }
  for (let n = all - tail; n < all; n++) html.push(lineHtml(n));
  return html.join('');
}
