// The demo page: wiring between the controls, the package (encoder and inspector) and the views.
import * as cp from './carbon-pickle/js/web.mjs';
import { chartHtml } from './chart.mjs';
import { LineEditor } from './editor.mjs';
import { encodeText } from './encode.mjs';
import { dumpHtml, esc, listingHtml, toHex } from './hexdump.mjs';
import { parseListing } from './listing.mjs';
import { parseCaptured } from './paste.mjs';
import { sensorNode } from './sensors.mjs';

/** Frames drawn in full; the others are counted in the split bar and the totals only. */
const MAX_FRAMES_DRAWN = 12;
/** Live stream: one tick (a line per sensor) this often, the newest this many lines kept, stopping by itself. */
const LIVE_MS = 700;
const LIVE_KEEP = 48;
const LIVE_MAX_TICKS = 500;

const SAMPLE = `sensors.kitchen.temperature 21.5 1700000000
sensors.kitchen.humidity 48.2 1700000000
sensors.garage.pressure 1013.25 1700000000
sensors.kitchen.temperature 21.7 1700000060
sensors.kitchen.humidity 47.9 1700000060
sensors.garage..pressure 1013.1 1700000060
sensors.kitchen.temperature 22.1 1700000120
sensors.kitchen.humidity 47.1 1700000120
sensors.garage.pressure 1012.8 1700000120
sensors.kitchen.temperature 22.4 1700000180.5
sensors.kitchen.humidity NaN 1700000180
sensors.kitchen.humidity 46.8 1700000181
sensors.garage.pressure 1012.6 1700000180
sensors.cellar.température 12.25 1700000180
sensors.temp;room=cellar;floor=-1 12.5 1700000180
sensors.power{room="garage",phase="L2"} 0.75 1700000180
`;

const $ = (id) => document.getElementById(id);

// The inspector is in the package's wasm only when built with its `inspect` feature (scripts/serve-www.sh
// does); without it the page still encodes and draws plain hex dumps.
const HAS_INSPECTOR = (() => {
  try {
    cp.inspect(new Uint8Array(0));
    return true;
  } catch {
    return false;
  }
})();
const NO_INSPECTOR = 'this build of the package has no frame inspector: serve the page with scripts/serve-www.sh';

const editor = new LineEditor($('editor'));
const form = $('options');

let last = null; // the last encoding: { result, options, bytes, listing }
let pending = null; // the scheduled render of the input
let capturedTimer = null; // the scheduled render of the captured frames
let capturedStats = null; // the last captured frames drawn: { bytes, listing (characters), ms }, for the tests

// The controls as the package's options (an empty limit means carbon's; anything else is the package's to judge).
function options() {
  const limit = (el, carbons) => (el.value.trim() === '' ? carbons : Number(el.value));
  const prefix = $('prefix').value;
  return {
    protocol: Number($('protocol').value),
    prefix: prefix === '' ? undefined : prefix,
    maxBytes: limit($('maxBytes'), cp.CARBON_MAX_PAYLOAD),
    maxPoints: limit($('maxPoints'), cp.CARBON_MAX_POINTS),
  };
}

function concat(frames) {
  const all = new Uint8Array(frames.reduce((n, f) => n + f.bytes.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f.bytes, at);
    at += f.bytes.length;
  }
  return all;
}

// "1–5, 7, 9–12"
function ranges(nums) {
  const out = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    out.push(i === j ? `${nums[i]}` : `${nums[i]}–${nums[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

const n = (x) => x.toLocaleString('en');
const plural = (k, one, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

let protocol0Ready = false;

function render() {
  pending = null;
  const opts = options();
  if (opts.protocol === 0 && !protocol0Ready) {
    // The package's protocol 0 is a module of its own, fetched the first time it is chosen (at once with a
    // module built with it). `pending` holds the load, so the page counts as busy until it has rendered.
    pending = cp.enableProtocol0().then(
      () => {
        protocol0Ready = true;
        render();
      },
      (err) => {
        pending = null;
        $('optionsError').hidden = false;
        $('optionsError').textContent = `protocol 0 did not load: ${err.message}`;
      },
    );
    return;
  }
  const result = encodeText(cp, editor.value, opts);
  editor.mark(result.lines);

  const optErr = $('optionsError');
  optErr.hidden = !result.optionsError;
  optErr.textContent = result.optionsError ?? '';

  const bytes = concat(result.frames);
  const inspection = bytes.length && HAS_INSPECTOR ? cp.inspect(bytes) : null;
  const listing = inspection ? parseListing(inspection.text) : [];
  last = { result, options: opts, bytes, listing };

  renderCounts(result);
  renderTotals(result, bytes, inspection);
  $('chart').innerHTML = chartHtml(result.lines.filter((l) => l.point && l.frame !== undefined).map((l) => l.point));
  renderSplit(result);
  renderFrames(result, listing, opts);

  document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
}

function schedule() {
  if (pending === null) pending = setTimeout(render, 40);
}

function renderCounts(result) {
  const lines = result.lines.filter((l) => !l.blank).length;
  $('counts').innerHTML =
    `${plural(lines, 'line')} · <b>${plural(result.points, 'datapoint')}</b> encoded` +
    (result.bad ? ` · <span class="bad">${plural(result.bad, 'line')} not encoded</span>` : '');
  $('problems').innerHTML = result.lines
    .map((l, i) => (l.error === undefined ? '' : `<li data-line="${i + 1}"><b>line ${i + 1}</b> ${esc(l.error)}</li>`))
    .join('');
}

function renderTotals(result, bytes, inspection) {
  const payload = bytes.length - 4 * result.frames.length;
  const items = [
    ['frames', n(result.frames.length)],
    ['bytes', n(bytes.length)],
    ['payload bytes', n(Math.max(payload, 0))],
    ['bytes / datapoint', result.points ? (bytes.length / result.points).toFixed(1) : '–'],
  ];
  let check = '';
  if (inspection) {
    const same = inspection.points === result.points && inspection.refused === 0;
    check = `<p class="${same ? 'ok' : 'bad'}">${same ? '✓' : '✕'} the decoder reads back ${plural(inspection.points, 'datapoint')} in ${plural(inspection.frames, 'frame')}${inspection.refused ? `, refuses ${inspection.refused}` : ''}</p>`;
  }
  $('totals').innerHTML = `<dl>${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>${check}`;
}

function closedText(f, opts) {
  const c = f.closedBy;
  if (c.reason === 'end') return 'last frame: the input ends';
  if (c.reason === 'points') return `full: ${plural(opts.maxPoints, 'datapoint')}, line ${c.line + 1} opens the next`;
  return `full: line ${c.line + 1} would take the payload past ${plural(opts.maxBytes, 'byte')}`;
}

// One segment per frame, as wide as its bytes (the first MAX_SEGMENTS; the rest as one "+N").
const MAX_SEGMENTS = 60;
function renderSplit(result) {
  const shown = result.frames.length > MAX_SEGMENTS ? result.frames.slice(0, MAX_SEGMENTS - 1) : result.frames;
  const rest = result.frames.slice(shown.length);
  const segs = shown.map(
    (f, k) => `<a class="seg f${k % 6}" href="#frame-${k + 1}" title="frame ${k + 1}: ${n(f.bytes.length)} bytes, ${plural(f.points, 'datapoint')}">${k + 1}</a>`,
  );
  if (rest.length) segs.push(`<span class="seg more" title="${plural(rest.length, 'more frame')}">+${n(rest.length)}</span>`);
  $('split').innerHTML = segs.join('');
  // Widths by script: the page's Content-Security-Policy refuses inline style attributes.
  const grow = [...shown.map((f) => f.bytes.length), rest.reduce((s, f) => s + f.bytes.length, 0)];
  $('split').querySelectorAll('.seg').forEach((el, k) => {
    el.style.flexGrow = String(grow[k]);
  });
}

function renderFrames(result, listing, opts) {
  const out = [];
  result.frames.slice(0, MAX_FRAMES_DRAWN).forEach((f, k) => {
    const lf = listing[k] ?? { header: true, ops: [], payloadLen: f.bytes.length - 4, lines: [NO_INSPECTOR] };
    const lineNums = f.lines.map((i) => i + 1);
    const payload = f.bytes.length - 4;
    const fillBytes = Math.min(100, (100 * payload) / opts.maxBytes);
    const fillPoints = Math.min(100, (100 * f.points) / opts.maxPoints);
    out.push(`
      <article class="frame" id="frame-${k + 1}" data-frame="${k + 1}" data-bytes="${f.bytes.length}">
        <header>
          <h3><span class="chip f${k % 6}">${k + 1}</span> Frame ${k + 1}</h3>
          <span class="facts"><b>${n(f.bytes.length)} bytes</b> (4 + ${n(payload)}) · ${plural(f.points, 'datapoint')} from line${f.points === 1 ? '' : 's'} ${ranges(lineNums)}</span>
          <span class="closed">${esc(closedText(f, opts))}</span>
          <span class="meters" title="payload ${n(payload)} of ${n(opts.maxBytes)} bytes; ${f.points} of ${n(opts.maxPoints)} datapoints">
            <span class="meter"><i data-w="${fillBytes.toFixed(2)}"></i></span>bytes
            <span class="meter"><i data-w="${fillPoints.toFixed(2)}"></i></span>points
          </span>
        </header>
        <div class="panes">
          <div class="pane"><h4>hex dump</h4><div class="dump">${dumpHtml(f.bytes, lf, `f${k + 1}`)}</div></div>
          <div class="pane"><h4>inspector <small>(core decoder, <code>pickletools.dis</code> layout)</small></h4><div class="listing">${listingHtml(lf, `f${k + 1}`)}</div></div>
        </div>
      </article>`);
  });
  if (result.frames.length > MAX_FRAMES_DRAWN) {
    out.push(`<p class="muted">${plural(result.frames.length - MAX_FRAMES_DRAWN, 'more frame')} not drawn (all are in the totals and “Copy hex”).</p>`);
  }
  if (result.frames.length === 0) out.push('<p class="muted">No frames: nothing encoded yet.</p>');
  const root = $('frames');
  root.innerHTML = out.join('');
  root.querySelectorAll('.meter i').forEach((el) => {
    el.style.width = `${el.dataset.w}%`;
  });
}

// ---- captured frames ----

function renderCaptured() {
  const started = performance.now();
  capturedTimer = null;
  const text = $('captured').value;
  const summary = $('capturedSummary');
  const root = $('inspected');
  if (text.trim() === '') {
    summary.textContent = '';
    root.innerHTML = '';
    return;
  }
  const parsed = parseCaptured(text);
  if (parsed.error) {
    summary.innerHTML = `<span class="bad">${esc(parsed.error)}</span>`;
    root.innerHTML = '';
    return;
  }
  const bytes = parsed.bytes;
  if (!HAS_INSPECTOR) {
    summary.innerHTML = `<span class="bad">${esc(NO_INSPECTOR)}</span>`;
    root.innerHTML = '';
    return;
  }
  const r = cp.inspect(bytes);
  const frames = parseListing(r.text);
  summary.innerHTML =
    `${plural(bytes.length, 'byte')} · ${plural(r.frames, 'frame')} · <b>${plural(r.points, 'datapoint')}</b> carbon would store` +
    (r.skipped ? ` · ${plural(r.skipped, 'element')} it would skip` : '') +
    (r.refused ? ` · <span class="bad">${plural(r.refused, 'frame')} refused</span>` : ` · <span class="ok">✓ accepted</span>`);
  const more = frames.length - MAX_FRAMES_DRAWN;
  root.innerHTML = frames
    .slice(0, MAX_FRAMES_DRAWN)
    .map((lf, k) => {
      const end = frames[k + 1]?.at ?? bytes.length;
      const own = bytes.subarray(lf.at, end);
      return `
      <article class="frame captured-frame${lf.refused ? ' refused' : ''}" data-frame="${k + 1}">
        <header><h3>${esc(lf.head)}</h3></header>
        <div class="panes">
          <div class="pane"><h4>hex dump</h4><div class="dump">${dumpHtml(own, lf, `c${k + 1}`)}</div></div>
          <div class="pane"><h4>inspector</h4><div class="listing">${listingHtml(lf, `c${k + 1}`)}</div></div>
        </div>
      </article>`;
    })
    .join('') + (more > 0 ? `<p class="muted">${plural(more, 'more frame')} not drawn.</p>` : '');
  capturedStats = { bytes: bytes.length, listing: r.text.length, ms: performance.now() - started };
}

// ---- live sensors ----

let live = null;

function stopLive() {
  if (!live) return;
  clearInterval(live.timer);
  live = null;
  $('live').textContent = '▶ Live sensors';
  $('live').setAttribute('aria-pressed', 'false');
}

function startLive() {
  const node = sensorNode(Date.now() & 0xffff);
  let t = Math.floor(Date.now() / 1000);
  let ticks = 0;
  editor.value = '';
  const tick = () => {
    const lines = editor.value.split('\n').filter((l) => l !== '');
    lines.push(...node.next(t++));
    editor.value = lines.slice(-LIVE_KEEP).join('\n') + '\n';
    editor.scrollToEnd();
    render();
    if (++ticks >= LIVE_MAX_TICKS) stopLive();
  };
  live = { timer: setInterval(tick, LIVE_MS) };
  tick();
  $('live').textContent = '■ Stop';
  $('live').setAttribute('aria-pressed', 'true');
}

// ---- wiring ----

$('input').addEventListener('input', schedule);
form.addEventListener('input', schedule);
form.addEventListener('submit', (e) => e.preventDefault());
$('live').addEventListener('click', () => (live ? stopLive() : startLive()));
$('sample').addEventListener('click', () => {
  stopLive();
  editor.value = SAMPLE;
  render();
});
$('clear').addEventListener('click', () => {
  stopLive();
  editor.value = '';
  render();
});
$('small').addEventListener('click', () => {
  $('maxPoints').value = '4';
  $('maxBytes').value = '256';
  render();
});
$('copyHex').addEventListener('click', async () => {
  if (!last) return;
  const text = last.result.frames.map((f) => toHex(f.bytes)).join('\n');
  try {
    await navigator.clipboard.writeText(text);
    flash($('copyHex'), 'Copied');
  } catch {
    flash($('copyHex'), 'Copy refused');
  }
});
$('toInspector').addEventListener('click', () => {
  if (!last) return;
  $('captured').value = last.result.frames.map((f) => toHex(f.bytes).replace(/(..)(?!$)/g, '$1 ')).join('\n');
  renderCaptured();
  $('captured').scrollIntoView({ behavior: 'smooth', block: 'start' });
});
$('captured').addEventListener('input', () => {
  clearTimeout(capturedTimer);
  capturedTimer = setTimeout(renderCaptured, 40);
});

function flash(button, text) {
  const old = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = old), 1200);
}

// Hovering a byte span or a listing line lights up both.
let lit = [];
document.addEventListener('mouseover', (e) => {
  const el = e.target.closest?.('[data-op]');
  for (const x of lit) x.classList.remove('hl');
  lit = [];
  if (!el) return;
  lit = [...document.querySelectorAll(`[data-op="${CSS.escape(el.dataset.op)}"]`)];
  for (const x of lit) x.classList.add('hl');
});

// ---- start ----

const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
$('status').textContent = 'wasm ready';
$('status').classList.add('ok');
if (wasm && wasm.decodedBodySize) {
  $('badges').insertAdjacentHTML('beforeend', `<span class="badge">module ${(wasm.decodedBodySize / 1024).toFixed(0)} KiB</span>`);
}
editor.value = SAMPLE;
render();
renderCaptured();
document.body.dataset.ready = '1';

// For the tests (and the console): wait for the pending render, read what the page shows.
window.carbonDemo = {
  settled: () =>
    new Promise((ok) => {
      const check = () => (pending === null && capturedTimer === null ? ok() : setTimeout(check, 10));
      check();
    }),
  stopLive,
  get live() {
    return live !== null;
  },
  /** The last captured frames drawn: input bytes, characters of listing, milliseconds it took. */
  get captured() {
    return capturedStats;
  },
};
