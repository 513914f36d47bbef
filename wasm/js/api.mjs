// The package's API over the raw wasm bindings.
//
// This file only moves data: it checks types, lays datapoints out in columns (paths joined into one string
// with their lengths, timestamps and values in Float64Arrays), calls the wasm module once per batch, cuts
// the returned buffer into frames by their length headers and turns recorded failures into TypeError or
// RangeError. Every byte of every frame is written by the Rust core.
//
// It has no imports, so the same text serves browsers, Deno, Bun and workerd (ESM) and Node's `require`
// (pkg/api.cjs, made by the build, loads this same file for `require`: js/load.cjs).

/** carbon's PICKLE_RECEIVER_MAX_LENGTH: the largest payload carbon accepts. */
export const CARBON_MAX_PAYLOAD = 1048576;
/** carbon relay's MAX_DATAPOINTS_PER_MESSAGE. */
export const CARBON_MAX_POINTS = 500;
/** The longest path (prefix included) the core accepts: carbon's file name for it must fit the OS's 4,096. */
export const CARBON_MAX_PATH = 4000;
/** The encoder options, for the option-name check of everything that takes them. */
export const ENCODER_OPTIONS = Object.freeze(['protocol', 'prefix', 'maxBytes', 'maxPoints', 'allowSpaces', 'asciiOnly']);

/** An error with a `code`, as Node's own errors carry one. */
export function codedError(Ctor, code, message, props) {
  const err = new Ctor(message);
  err.code = code;
  if (props) Object.assign(err, props);
  return err;
}

/** A value as an error message shows it: strings quoted (at most about 200 characters), the rest as text. */
export function describe(v) {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) return 'an object';
  return String(v);
}

/** A string for an error message: JSON-quoted, cut to its first 200 characters with its length said. */
export function quote(text) {
  if (text.length <= 200) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, 200))}... (${text.length} characters)`;
}

/** Levenshtein distance, for suggesting the option a caller meant. */
function distance(a, b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * Throws a TypeError (code ERR_CARBON_OPTIONS) for an option name not in `known`, naming the nearest known
 * one: an option typo must not be ignored (a `too:` for `to:` would silently send to the default address).
 */
export function checkOptionNames(options, known, what = 'option') {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    let best = known[0];
    for (const k of known) if (distance(name, k) < distance(name, best)) best = k;
    const hint = distance(name, best) <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean ${JSON.stringify(best)}?` : '';
    throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `unknown ${what} ${quote(name)}${hint} (known: ${known.join(', ')})`, { option: name });
  }
}

/**
 * `path` with `tags` (`{ tag: value }`, values strings or numbers) spelt as carbon's tagged path
 * `path;tag=value;...`, or `path` itself when `tags` is undefined. The core then checks it by carbon's tag
 * rules and writes it in carbon's canonical order (tags sorted, the last of a repeated tag kept). A `;` or `=`
 * in a tag, or a `;` in a value, would split the segments differently from what was given: refused here
 * (TypeError, ERR_CARBON_INVALID_PATH). `where` names the datapoint in messages.
 */
export function tagPath(path, tags, where = 'datapoint') {
  if (tags === undefined) return path;
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `${where}: tags must be an object { tag: value }, not ${describe(tags)}`);
  }
  // A path in the OpenMetrics form (`name{tag="value"}`) gets the tags inside its braces, in that form.
  const openMetrics = typeof path === 'string' && path.endsWith('"}') && path.includes('{');
  let out = openMetrics ? path.slice(0, -1) : path;
  for (const k of Object.keys(tags)) {
    const v = tags[k];
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `${where}: tag ${quote(k)} must have a string or number value, not ${describe(v)}`);
    }
    const value = String(v);
    const inTag = k.includes(';') ? ';' : k.includes('=') ? '=' : null;
    if (inTag) throw codedError(TypeError, 'ERR_CARBON_INVALID_PATH', `${where}: invalid tag ${quote(k)}: character ${JSON.stringify(inTag)} is not allowed in a tag`);
    if (value.includes(';')) throw codedError(TypeError, 'ERR_CARBON_INVALID_PATH', `${where}: invalid value of tag ${quote(k)}: character ";" is not allowed in a value`);
    out += openMetrics ? `,${k}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `;${k}=${value}`;
  }
  return openMetrics ? `${out}}` : out;
}

/** The hint for a timestamp that looks like milliseconds (Date.now()) where carbon takes seconds. */
export function millisecondsHint(t) {
  return typeof t === 'number' && t >= 1e11 && t < 1e14 ? ' (it looks like milliseconds: carbon takes seconds, e.g. Date.now() / 1000)' : '';
}

/**
 * The API over one instance of a wasm module.
 *
 * `protocol0`: where the module was built without protocol 0 (the package's main modules), a function that
 * returns the API of a module built with it, instantiating that module the first time; it throws where the
 * runtime cannot load it synchronously and `enableProtocol0()` has not been awaited. Everything given
 * `protocol: 0` is then made by that API: the same classes, from the other module.
 */
export function createApi(raw, memory, { protocol0 } = {}) {
  const U32_MAX = 4294967295;
  const delegates = protocol0 !== undefined && !raw.hasProtocol0();
  const viaProtocol0 = (options) => delegates && options !== null && typeof options === 'object' && options.protocol === 0;
  const hasWellFormed = typeof ''.isWellFormed === 'function';

  // ---- options ----

  function normalizeOptions(options) {
    if (options === undefined || options === null) options = {};
    if (typeof options !== 'object') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options must be an object, not ${describe(options)}`);
    checkOptionNames(options, ENCODER_OPTIONS);
    const {
      protocol = 2,
      prefix,
      maxBytes = CARBON_MAX_PAYLOAD,
      maxPoints = CARBON_MAX_POINTS,
      allowSpaces = false,
      asciiOnly = false,
    } = options;
    if (protocol !== 0 && protocol !== 2) {
      const Ctor = typeof protocol === 'number' ? RangeError : TypeError;
      throw codedError(Ctor, 'ERR_CARBON_OPTIONS', `options.protocol must be the number 0 or 2, not ${describe(protocol)}`);
    }
    if (prefix !== undefined && prefix !== null && typeof prefix !== 'string') {
      throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options.prefix must be a string, not ${typeof prefix}`);
    }
    for (const [name, v] of [['maxBytes', maxBytes], ['maxPoints', maxPoints]]) {
      if (!Number.isInteger(v) || v < 1 || v > U32_MAX) {
        const Ctor = typeof v === 'number' ? RangeError : TypeError;
        throw codedError(Ctor, 'ERR_CARBON_OPTIONS', `options.${name} must be an integer from 1 to ${U32_MAX}, not ${describe(v)}`);
      }
    }
    if (typeof allowSpaces !== 'boolean') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options.allowSpaces must be a boolean, not ${describe(allowSpaces)}`);
    if (typeof asciiOnly !== 'boolean') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options.asciiOnly must be a boolean, not ${describe(asciiOnly)}`);
    return { protocol, prefix: prefix ?? undefined, maxBytes, maxPoints, allowSpaces, asciiOnly };
  }

  /** The options an encoder shows: everything but the prefix (an API key is not readable back), and whether one is set. */
  function shownOptions(o) {
    const { prefix, ...rest } = o;
    return Object.freeze({ ...rest, hasPrefix: prefix !== undefined && prefix !== '' });
  }

  // The module's encoder for checked options (undefined if the module refuses them: see lastFailure); the
  // prefix goes in through the batch text.
  function createEncoder(o, stream) {
    let prefixLen = -1;
    if (o.prefix !== undefined) {
      const bytes = textEncoder.encode(o.prefix);
      views(1, bytes.length).text.set(bytes);
      prefixLen = bytes.length;
    }
    return raw.Encoder.create(o.protocol, prefixLen, o.maxBytes, o.maxPoints, o.allowSpaces, o.asciiOnly, stream);
  }

  // Checked options are kept in wasm; a few recent ones are reused by encodeFrames.
  const codecs = new Map();
  function codecFor(options) {
    const o = normalizeOptions(options);
    const key = `${o.protocol}|${o.maxBytes}|${o.maxPoints}|${+o.allowSpaces}${+o.asciiOnly}|${o.prefix === undefined ? '' : '=' + o.prefix}`;
    let codec = codecs.get(key);
    if (codec === undefined) {
      codec = createEncoder(o, false);
      if (codec === undefined) throw failure({ options: o });
      if (codecs.size >= 16) {
        const [oldKey, old] = codecs.entries().next().value;
        codecs.delete(oldKey);
        old.free();
      }
      codecs.set(key, codec);
    }
    return codec;
  }

  // Paths each encodeFrames codec has been sent lately (issue 22; wasm/src/recent.rs): a repeated path crosses
  // into wasm as its number only. Capped at RECENT_PATHS paths and RECENT_UNITS UTF-16 code units (at most
  // 192 KiB of text and 16 KiB of numbers in wasm); a full table is forgotten before the next batch, and a
  // table whose paths were not sent again at least once on average is then left unused for RECENT_PAUSE
  // batches, so paths that never repeat pay for the lookups only now and then.
  const RECENT = 0x80000000;
  const REMEMBER = 0x40000000;
  const RECENT_PATHS = 4096;
  const RECENT_UNITS = 65536;
  const RECENT_PAUSE = 16;
  const recents = new WeakMap();

  // The recent paths of `codec` for the next batch, or undefined while paused.
  function recentFor(codec) {
    let r = recents.get(codec);
    if (r === undefined) recents.set(codec, (r = { map: new Map(), units: 0, hits: 0, pause: 0 }));
    if (r.pause > 0) {
      r.pause--;
      return undefined;
    }
    if (r.map.size >= RECENT_PATHS || r.units >= RECENT_UNITS) {
      if (r.hits < r.map.size) r.pause = RECENT_PAUSE;
      forgetRecent(codec, r);
      if (r.pause > 0) return undefined;
    }
    return r;
  }

  function forgetRecent(codec, r) {
    r.map.clear();
    r.units = 0;
    r.hits = 0;
    codec.control(CONTROL.ForgetPaths);
  }

  // ---- failures ----

  const FAILURE = raw.FailureCode;
  const CONTROL = raw.Control;
  const PATH = raw.PathFault;
  const INPUT = raw.InputFault;

  function pathFaultText(d) {
    switch (d[0]) {
      case PATH.Empty: return 'path is empty';
      case PATH.InvalidChar: return `invalid character ${JSON.stringify(String.fromCodePoint(d[2]))} at byte ${d[1]}`;
      case PATH.NonAscii: return `non-ASCII character at byte ${d[1]}`;
      case PATH.EmptyComponent: return `empty path component at byte ${d[1]}`;
      case PATH.ComponentTooLong: return `path component at byte ${d[1]} is ${d[2]} bytes long (at most ${d[3]})`;
      case PATH.TooLong: return `path is ${d[1]} bytes long, prefix included (at most ${d[2]}: carbon's file name must fit the system's limit)`;
      case PATH.TagNoName: return 'tagged path has no name before its tags';
      case PATH.TagNameTildes: return "tagged path's name is only '~' (carbon strips leading '~')";
      case PATH.TagNoEquals: return `tag segment ${d[1]} at byte ${d[2]}: no '=' (tag=value)`;
      case PATH.TagEmpty: return `tag segment ${d[1]} at byte ${d[2]}: empty tag`;
      case PATH.TagValueEmpty: return `tag segment ${d[1]} at byte ${d[2]}: empty value`;
      case PATH.TagChar: return `tag segment ${d[1]}: character ${JSON.stringify(String.fromCodePoint(d[3]))} is not allowed in a tag (at byte ${d[2]})`;
      case PATH.TagValueChar: return `tag segment ${d[1]}: character ${JSON.stringify(String.fromCodePoint(d[3]))} is not allowed in a value (at byte ${d[2]})`;
      case PATH.TagNonAscii: return `tag segment ${d[1]}: non-ASCII character at byte ${d[2]}`;
      case PATH.TagValueTilde: return `tag segment ${d[1]} at byte ${d[2]}: value starts with '~' (carbon keeps it for =~ queries)`;
      case PATH.TagOpenMetrics: return `OpenMetrics tag segment ${d[1]}: carbon cannot parse it at byte ${d[2]} (name{tag="value",...})`;
      case PATH.TagsNotBuilt: return 'tagged path, and this wasm module was built without tags';
      default: return 'breaks the path rules';
    }
  }

  function inputFaultText(d) {
    switch (d[0]) {
      case INPUT.ValuesForPaths: return `${d[1]} values for ${d[2]} paths`;
      case INPUT.TimestampsForValues: return `${d[1]} timestamps for ${d[2]} values`;
      case INPUT.IndicesForValues: return `${d[1]} indices for ${d[2]} values`;
      case INPUT.UnknownIndex: return `index ${d[1]} is not a registered path`;
      case INPUT.SplitCharacter: return 'path ends inside a character (a lone UTF-16 surrogate)';
      default: return 'path lengths do not match the paths';
    }
  }

  // The failure the last wasm call recorded, read before the next call replaces it.
  function lastFailure() {
    const at = raw.lastFailure();
    const [code, index, ...d] = new Int32Array(memory.buffer, at, 6);
    return { code, index, d: d.map((x) => x >>> 0) };
  }

  // How an error names a datapoint: by its index in a batch (pushMany, encodeFrames, MetricSet.encode), and
  // by its path alone for push, whose datapoint is the call's only one (an index 0 there reads like a
  // leftover from a batch).
  function pointName(what, index, path) {
    return `${what}${index === undefined ? '' : ` ${index}`}${path === undefined ? '' : ` (path ${quote(path)})`}`;
  }

  // Builds the error for a recorded failure (by default, the last wasm call's).
  // ctx: { options, pathAt(i), timestampAt(i), valueAt(i), frames, what, single }; `single`: the call's only
  // datapoint (push), named without an index and with no `index` property.
  // `ctx.base`: the index of the batch's first datapoint in the caller's input (a segment of a large call).
  function failure(ctx, recorded = lastFailure()) {
    const { code, d } = recorded;
    const index = recorded.index >= 0 ? recorded.index + (ctx.base ?? 0) : recorded.index;
    const has = index >= 0;
    const path = has && ctx.pathAt ? ctx.pathAt(index) : undefined;
    const what = ctx.what ?? 'datapoint';
    const where = has ? `${pointName(what, ctx.single ? undefined : index, path)}: ` : '';
    let err;
    switch (code) {
      case FAILURE.InvalidPath:
        err = new TypeError(`${where}invalid path: ${pathFaultText(d)}`);
        err.code = 'ERR_CARBON_INVALID_PATH';
        break;
      case FAILURE.InvalidPrefix:
        err = new TypeError(`invalid prefix: ${pathFaultText(d)}`); // the prefix (an API key) is never printed
        err.code = 'ERR_CARBON_INVALID_PREFIX';
        break;
      case FAILURE.NonFiniteValue:
        err = new RangeError(`${where}value${has && ctx.valueAt ? ` ${ctx.valueAt(index)}` : ''} is not a finite number`);
        err.code = 'ERR_CARBON_VALUE';
        break;
      case FAILURE.NonFiniteTimestamp:
      case FAILURE.TimestampOutOfRange: {
        const t = has && ctx.timestampAt ? ctx.timestampAt(index) : undefined;
        err = new RangeError(`${where}timestamp${t === undefined ? '' : ` ${t}`} is not a time in 0..2^32 seconds${millisecondsHint(t)}`);
        err.code = 'ERR_CARBON_TIMESTAMP';
        break;
      }
      case FAILURE.DatapointTooLarge:
        err = new RangeError(`${where}needs ${d[0]} bytes but a frame has room for at most ${d[1]}`);
        err.code = 'ERR_CARBON_TOO_LARGE';
        break;
      case FAILURE.InvalidOptions:
        err = new RangeError('invalid options: maxPoints must be at least 1 and maxBytes must hold an empty frame');
        err.code = 'ERR_CARBON_OPTIONS';
        break;
      case FAILURE.ProtocolNotBuilt:
        err = new RangeError('protocol 0 is not in this wasm module (the package loads its protocol-0 module for it)');
        err.code = 'ERR_CARBON_PROTOCOL';
        break;
      case FAILURE.BadInput:
        err = new RangeError(`${where}${inputFaultText(d)}`);
        err.code = 'ERR_CARBON_INPUT';
        break;
      default:
        err = new Error(`${where}refused by the encoder`);
        err.code = 'ERR_CARBON';
    }
    if (has) {
      if (!ctx.single) err.index = index;
      if (path !== undefined) err.path = path;
    }
    if (ctx.frames) err.frames = ctx.frames;
    return err;
  }

  // ---- frames ----

  /** Cuts a buffer of frames written back to back into one view per frame (no copy). */
  function splitFrames(buf) {
    const frames = [];
    const n = buf.length;
    let off = 0;
    while (off + 4 <= n) {
      const len = ((buf[off] << 24) >>> 0) + (buf[off + 1] << 16) + (buf[off + 2] << 8) + buf[off + 3] + 4;
      frames.push(buf.subarray(off, off + len));
      off += len;
    }
    return frames;
  }

  // The frames a call left in the module's output (`len` bytes): copied out once, each with its datapoint
  // count as `points`.
  function readOut(len) {
    const layout = raw.outputLayout();
    const buf = memory.buffer;
    const [out, countsAt, n] = new Uint32Array(buf, layout, 3);
    if (len === 0 || n === 0) return [];
    const bytes = new Uint8Array(buf, out, len).slice();
    const counts = new Uint32Array(buf, countsAt, n);
    const frames = splitFrames(bytes);
    for (let i = 0; i < frames.length; i++) frames[i].points = counts[i];
    return frames;
  }

  // ---- columns ----

  const nowSeconds = () => Math.floor(Date.now() / 1000);

  // A TypeError about datapoint `index` (found before encoding).
  function typeError(message, index, path) {
    const err = new TypeError(message);
    err.code = 'ERR_INVALID_ARG_TYPE';
    if (index !== undefined) err.index = index;
    if (path !== undefined) err.path = path;
    return err;
  }

  // `i`: the datapoint's index in a batch; undefined for push, which names it by `path`.
  function toTimestamp(t, i, now, path) {
    if (t === undefined) return now();
    if (typeof t === 'number') return t;
    if (t instanceof Date) return t.getTime() / 1000;
    throw typeError(`${pointName('datapoint', i, path)}: timestamp must be a number of seconds, a Date or undefined, not ${describe(t)}`, i, path);
  }

  // push's check (a batch checks each path as it lays them out): the datapoint is named by its path alone.
  function checkWellFormed(joined, paths) {
    if (!hasWellFormed || joined.isWellFormed()) return;
    const i = paths.findIndex((p) => !p.isWellFormed());
    if (i >= 0) {
      const err = new TypeError(`${pointName('datapoint', undefined, paths[i])}: invalid path: it holds a lone UTF-16 surrogate`);
      err.code = 'ERR_CARBON_INVALID_PATH';
      err.path = paths[i];
      throw err;
    }
  }

  // ---- batches, written straight into wasm memory ----
  //
  // The columns of a batch (paths as UTF-8, their lengths, timestamps, values) are written through typed
  // array views on the module's batch buffers: no JavaScript arrays as big as the batch, no copies by the
  // glue. Paths go in chunks: one `join` and one native `encodeInto` per chunk.

  const textEncoder = new TextEncoder();
  const CHUNK = 1024;
  const chunk = [];

  // Makes room for n datapoints and `text` bytes of paths (keeping what is written) and returns views on
  // the batch buffers; taken again after anything that may grow the memory.
  function views(n, text) {
    const layout = raw.batchReserve(Math.max(n, 1), text);
    const buf = memory.buffer; // after the call, which may have grown the memory
    const [at, cap, lens, timestamps, values] = new Uint32Array(buf, layout, 5);
    return {
      text: new Uint8Array(buf, at, cap),
      lens: new Uint32Array(buf, lens, n),
      timestamps: new Float64Array(buf, timestamps, Math.max(n, 1)),
      values: new Float64Array(buf, values, n),
    };
  }

  function startBatch(n, avgPath) {
    return { n, v: views(n, n * avgPath + 64), textLen: 0 };
  }

  function loneSurrogate(i, path) {
    const err = new TypeError(`datapoint ${i} (path ${quote(path)}): invalid path: it holds a lone UTF-16 surrogate`);
    err.code = 'ERR_CARBON_INVALID_PATH';
    err.index = i;
    err.path = path;
    return err;
  }

  // Appends the paths in `chunk` (the first of them is datapoint `first`) to the batch's text.
  function writeChunk(batch, first) {
    let rest = chunk.join('');
    if (hasWellFormed && !rest.isWellFormed()) {
      const k = chunk.findIndex((p) => !p.isWellFormed());
      throw loneSurrogate(first + k, chunk[k]);
    }
    for (;;) {
      const r = textEncoder.encodeInto(rest, batch.v.text.subarray(batch.textLen));
      batch.textLen += r.written;
      if (r.read === rest.length) return;
      rest = rest.slice(r.read);
      batch.v = views(batch.n, Math.max(batch.textLen + rest.length * 3, batch.v.text.length * 2));
    }
  }

  // Rows `from..to` of `points` (errors name a datapoint by its index in `points`); with `recent` (see
  // recentFor), a path sent before is written as its number and a new one is remembered.
  function writeRows(points, from, to, recent) {
    const n = to - from;
    const first = points[from];
    const batch = startBatch(n, first !== null && typeof first?.path === 'string' ? first.path.length + 8 : 32);
    let now;
    const nowOnce = () => (now ??= nowSeconds());
    const map = recent?.map;
    let hits = 0;
    for (let start = from; start < to; start += CHUNK) {
      const end = Math.min(to, start + CHUNK);
      chunk.length = 0; // filled in order below (a chunk of known paths stays empty)
      let m = 0;
      const { lens, timestamps, values } = batch.v;
      for (let i = start; i < end; i++) {
        const p = points[i];
        if (p === null || typeof p !== 'object') throw typeError(`datapoint ${i} must be an object { path, value, timestamp }`, i);
        let path = p.path;
        if (typeof path !== 'string') throw typeError(`datapoint ${i}: path must be a string`, i);
        if (p.tags !== undefined) path = rowPath(p, i);
        const v = p.value;
        if (typeof v !== 'number') throw typeError(`datapoint ${i} (path ${JSON.stringify(path)}): value must be a number`, i, path);
        const t = p.timestamp;
        const k = i - from;
        if (recent === undefined) {
          chunk[m++] = path;
          lens[k] = path.length;
        } else {
          const id = map.get(path);
          if (id !== undefined) {
            lens[k] = RECENT | id;
            hits++;
          } else {
            // Checked here rather than by writeChunk, whose chunk no longer lines up with the datapoints.
            if (hasWellFormed && !path.isWellFormed()) throw loneSurrogate(i, path);
            chunk[m++] = path;
            const units = path.length;
            if (map.size < RECENT_PATHS && recent.units + units <= RECENT_UNITS) {
              map.set(path, map.size);
              recent.units += units;
              lens[k] = REMEMBER | units;
            } else {
              lens[k] = units;
            }
          }
        }
        values[k] = v;
        timestamps[k] = typeof t === 'number' ? t : toTimestamp(t, i, nowOnce);
      }
      if (m > 0) writeChunk(batch, start); // every path of the chunk sent before: no text
    }
    chunk.length = 0;
    if (recent !== undefined) recent.hits += hits;
    return {
      n,
      base: from,
      textLen: batch.textLen,
      tsLen: n,
      pathAt: (i) => rowPath(points[i], i),
      valueAt: (i) => points[i].value,
      timestampAt: (i) => {
        const t = points[i].timestamp;
        return t === undefined ? now : t instanceof Date ? t.getTime() / 1000 : t;
      },
    };
  }

  // A row's path with its tags (`{ path, tags }`), as the core is given it.
  function rowPath(p, i) {
    if (p.tags === undefined) return p.path;
    try {
      return tagPath(p.path, p.tags, pointName('datapoint', i, p.path));
    } catch (err) {
      err.index = i;
      err.path = p.path;
      throw err;
    }
  }

  // The tags of column `i`: `tags` is one object for every path, or an array of one (or undefined) per path.
  function columnTags(tags, i) {
    return Array.isArray(tags) ? tags[i] : tags;
  }

  // Path `i` of columns with their tags.
  function columnPath(paths, tags, i) {
    const path = paths[i];
    const t = columnTags(tags, i);
    if (t === undefined || typeof path !== 'string') return path;
    try {
      return tagPath(path, t, `paths[${i}]`);
    } catch (err) {
      err.index = i;
      err.path = path;
      throw err;
    }
  }

  const pathTypeError = (path, i) => typeError(`paths[${i}] must be a string, not ${describe(path)}`, i);

  // Writes `paths[from..to]` (with their `tags`, if given) into the batch buffers; returns the batch.
  function writePaths(paths, from = 0, to = paths.length, tags = undefined) {
    const n = to - from;
    const batch = startBatch(n, n > 0 && typeof paths[from] === 'string' ? paths[from].length + 8 : 32);
    for (let start = from; start < to; start += CHUNK) {
      const end = Math.min(to, start + CHUNK);
      chunk.length = end - start;
      const { lens } = batch.v;
      for (let i = start; i < end; i++) {
        const path = tags === undefined ? paths[i] : columnPath(paths, tags, i);
        if (typeof path !== 'string') throw pathTypeError(path, i);
        chunk[i - start] = path;
        lens[i - from] = path.length;
      }
      writeChunk(batch, start);
    }
    return batch;
  }

  // Columns `from..to` (the columns' lengths are checked against the whole call's).
  function writeColumns({ paths, values, timestamps, tags }, from, to) {
    if (tags !== undefined && (tags === null || typeof tags !== 'object')) {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `tags must be an object { tag: value } for every path, or an array of one per path, not ${describe(tags)}`);
    }
    if (Array.isArray(tags) && tags.length !== paths.length) {
      throw codedError(RangeError, 'ERR_CARBON_INPUT', `${tags.length} tags for ${paths.length} paths: the columns must have the same length`);
    }
    const batch = writePaths(paths, from, to, tags);
    chunk.length = 0;
    const v = batch.v;
    setNumbers(v.values, values, paths.length, 'values', from, to);
    const ts = oneTimestamp(timestamps);
    const tsLen = ts === null ? setNumbers(v.timestamps, timestamps, paths.length, 'timestamps', from, to) : ((v.timestamps[0] = ts), 1);
    return {
      n: batch.n,
      base: from,
      textLen: batch.textLen,
      tsLen,
      pathAt: (i) => (tags === undefined ? paths[i] : columnPath(paths, tags, i)),
      valueAt: (i) => values[i],
      timestampAt: (i) => (ts === null ? timestamps[i] : ts),
    };
  }

  // The one timestamp for every datapoint (a number, a Date, or now for nothing), or null for one each.
  function oneTimestamp(timestamps) {
    if (timestamps === undefined) return nowSeconds();
    if (timestamps instanceof Date) return timestamps.getTime() / 1000;
    return typeof timestamps === 'number' ? timestamps : null;
  }

  // Timestamps for n datapoints: one for all of them, or one per datapoint. Returns how many were written.
  function setTimestamps(view, timestamps, n) {
    const ts = oneTimestamp(timestamps);
    if (ts === null) return setNumbers(view, timestamps, n, 'timestamps');
    view[0] = ts;
    return 1;
  }

  // Copies `src[from..to]` into a view (typed arrays natively, arrays with a type check each), after
  // checking that `src` has `n` numbers. Returns how many were copied.
  function setNumbers(view, src, n, name, from = 0, to = n) {
    if (ArrayBuffer.isView(src) && !(src instanceof DataView) && typeof src[0] !== 'bigint') {
      if (src.length !== n) throw codedError(RangeError, 'ERR_CARBON_INPUT', `${src.length} ${name} for ${n} paths: the columns must have the same length`);
      view.set(from === 0 && to === n ? src : src.subarray(from, to));
      return to - from;
    }
    if (!Array.isArray(src)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `${name} must be a typed array or an array of numbers, not ${describe(src)}`);
    if (src.length !== n) throw codedError(RangeError, 'ERR_CARBON_INPUT', `${src.length} ${name} for ${n} paths: the columns must have the same length`);
    for (let i = from; i < to; i++) {
      const x = src[i];
      if (typeof x !== 'number') throw typeError(`${name}[${i}] must be a number, not ${describe(x)}${name === 'timestamps' && x instanceof Date ? ' (one Date for all is accepted; per datapoint, give seconds)' : ''}`, i);
      view[i - from] = x;
    }
    return to - from;
  }

  // How many datapoints `points` holds, in either accepted form (a TypeError for anything else).
  function pointCount(points) {
    if (Array.isArray(points)) return points.length;
    if (points !== null && typeof points === 'object' && Array.isArray(points.paths)) return points.paths.length;
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `datapoints must be an array of { path, value, timestamp } or { paths, values, timestamps }, not ${describe(points)}`);
  }

  // Datapoints `from..to` of any accepted form, written into the batch buffers.
  function writeBatch(points, from = 0, to = pointCount(points)) {
    return Array.isArray(points) ? writeRows(points, from, to) : writeColumns(points, from, to);
  }

  // ---- the API ----

  // Datapoints per trip into wasm when one call brings more: the module then holds one segment's columns
  // and frames (a few MB) instead of the whole call's (a million datapoints took 236 MB, which a wasm
  // memory never gives back).
  const SEGMENT = 1 << 16;

  /**
   * Encodes datapoints into as many frames as the limits need.
   * @returns {Uint8Array[]} frames (views into a few buffers), each ready for a socket.
   */
  function encodeFrames(points, options) {
    if (viaProtocol0(options)) return protocol0().encodeFrames(points, options);
    const n = pointCount(points);
    return n > SEGMENT ? encodeSegments(points, n, options) : encodeBatch(points, n, options);
  }

  // The first `n` datapoints of `points` in one trip into wasm.
  function encodeBatch(points, n, options) {
    const codec = codecFor(options);
    const recent = Array.isArray(points) ? recentFor(codec) : undefined;
    let batch;
    try {
      batch = recent === undefined ? writeBatch(points, 0, n) : writeRows(points, 0, n, recent);
    } catch (err) {
      if (recent !== undefined) forgetRecent(codec, recent);
      // Refused while laying out the batch: encode the datapoints before it, as a refusal in wasm would.
      if (typeof err.index === 'number') err.frames = err.index > 0 ? encodeBatch(points, err.index, options) : [];
      throw err;
    }
    const pushed = codec.pushRows(batch.n, batch.textLen, batch.tsLen);
    // A refused batch (rows or columns) made wasm forget its paths: the numbering restarts on both sides.
    if (!pushed) {
      const r = recents.get(codec);
      if (r !== undefined) forgetRecent(codec, r);
    }
    const refused = pushed ? null : lastFailure();
    const frames = readOut(codec.control(CONTROL.Flush));
    if (refused) throw failure({ ...batch, frames, options }, refused);
    return frames;
  }

  // A large call: a stream encoder takes one segment at a time and its finished frames are copied out
  // after each, so frames still span segments exactly as one batch would cut them.
  function encodeSegments(points, n, options) {
    const encoder = new FrameEncoder(options);
    const frames = [];
    const keep = (more) => {
      for (const f of more) frames.push(f);
      return frames;
    };
    try {
      for (let from = 0; from < n; from += SEGMENT) {
        try {
          keep(encoder.pushRange(points, from, Math.min(n, from + SEGMENT)));
        } catch (err) {
          if (typeof err.index === 'number') err.frames = keep(encoder.flush());
          throw err;
        }
      }
      return keep(encoder.flush());
    } finally {
      encoder.free();
    }
  }

  /** Streams datapoints into frames: push them as they come, take full frames as they fill. */
  class FrameEncoder {
    #raw;
    #options;

    constructor(options) {
      // Protocol 0 comes from its own module: the encoder made there (same API, not an instance of this class).
      if (viaProtocol0(options)) return new (protocol0().FrameEncoder)(options);
      const o = normalizeOptions(options);
      const stream = createEncoder(o, true);
      if (stream === undefined) throw failure({ options: o });
      this.#raw = stream;
      this.#options = Object.freeze(o);
    }

    /** The options in force (defaults filled in), without the prefix: `hasPrefix` says whether one is set. */
    get options() {
      return shownOptions(this.#options);
    }

    /** Datapoints in the open frame. */
    get pendingPoints() {
      return this.#raw === null ? 0 : this.#raw.control(CONTROL.OpenPoints);
    }

    /** Bytes waiting: finished frames not yet returned plus the open frame. */
    get pendingBytes() {
      return this.#raw === null ? 0 : this.#raw.control(CONTROL.ReadyBytes) + this.#raw.control(CONTROL.OpenBytes);
    }

    #live() {
      if (this.#raw === null) throw codedError(Error, 'ERR_CARBON_FREED', 'the encoder was freed');
      return this.#raw;
    }

    #ready() {
      return this.#raw.control(CONTROL.ReadyBytes) > 0 ? readOut(this.#raw.control(CONTROL.Take)) : [];
    }

    /**
     * Adds one datapoint `{ path, value, timestamp }` (timestamp in seconds; now if left out).
     * @returns {Uint8Array[]} the frames it finished (usually none).
     */
    push(point) {
      if (point === null || typeof point !== 'object') throw typeError(`datapoint must be an object { path, value, timestamp }, not ${describe(point)}`);
      const { value } = point;
      let { path } = point;
      if (typeof path !== 'string') throw typeError(`datapoint: path must be a string, not ${describe(path)}`);
      if (point.tags !== undefined) path = tagPath(path, point.tags, pointName('datapoint', undefined, path));
      if (typeof value !== 'number') throw typeError(`datapoint (path ${quote(path)}): value must be a number, not ${describe(value)}`, undefined, path);
      const t = point.timestamp;
      const ts = typeof t === 'number' ? t : toTimestamp(t, undefined, nowSeconds, path);
      if (hasWellFormed && !path.isWellFormed()) checkWellFormed(path, [path]);
      const live = this.#live();
      const batch = writePaths([path]);
      chunk.length = 0;
      batch.v.values[0] = value;
      batch.v.timestamps[0] = ts;
      if (!live.pushRows(1, batch.textLen, 1)) {
        throw failure({ single: true, pathAt: () => path, valueAt: () => value, timestampAt: () => ts, options: this.#options });
      }
      return this.#ready();
    }

    /**
     * Adds datapoints in any form `encodeFrames` takes. On a refused datapoint, those before it are kept
     * (the error's `index` says how many) and nothing else changes.
     * @returns {Uint8Array[]} the frames they finished.
     */
    pushMany(points) {
      return this.pushRange(points, 0, pointCount(points));
    }

    /**
     * Like `pushMany` for datapoints `from` to `to` (exclusive) of `points` only; errors name datapoints by
     * their index in `points`.
     * @returns {Uint8Array[]} the frames they finished.
     */
    pushRange(points, from, to) {
      const n = pointCount(points);
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || from > to || to > n) {
        throw codedError(RangeError, 'ERR_OUT_OF_RANGE', `datapoints ${from} to ${to} are not a range of the ${n} given`);
      }
      this.#pushRange(points, from, to);
      return this.#ready();
    }

    // Adds the datapoints; the frames they finish stay in the encoder until the next call hands them out
    // (also when one is refused: those before it are kept, with their frames).
    #pushRange(points, from, to) {
      let batch;
      try {
        batch = writeBatch(points, from, to);
      } catch (err) {
        // Refused while laying out the batch: keep the datapoints before it, as a refusal in wasm would.
        if (typeof err.index === 'number' && err.index > from) this.#pushRange(points, from, err.index);
        throw err;
      }
      if (!this.#live().pushRows(batch.n, batch.textLen, batch.tsLen)) throw failure({ ...batch, options: this.#options });
    }

    /** Finishes the open frame. @returns {Uint8Array[]} every frame not yet returned. */
    flush() {
      return readOut(this.#live().control(CONTROL.Flush));
    }

    /** Frees the wasm memory now (otherwise it is freed when the encoder is garbage-collected). */
    free() {
      this.#raw?.free();
      this.#raw = null;
    }
  }

  /**
   * Interned paths: register the paths once, then each flush passes only values (and timestamps).
   */
  class MetricSet {
    #raw;
    #paths;
    #options;
    /** `RECENT | k` for each registered path `k`: the lengths buffer of an encode of every path. */
    #numbers;

    constructor(paths, options) {
      if (viaProtocol0(options)) return new (protocol0().MetricSet)(paths, options);
      if (!Array.isArray(paths)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `paths must be an array of strings, not ${describe(paths)}`);
      const o = normalizeOptions(options);
      // A path with tags fixed for it, `{ path, tags }`, is registered as its tagged path.
      const copy = Object.freeze(paths.map((p, i) => (p !== null && typeof p === 'object' && typeof p.path === 'string' ? tagPath(p.path, p.tags, `paths[${i}]`) : p)));
      // Every path's type is checked before the options, as writePaths would (the prefix goes in first).
      for (let i = 0; i < copy.length; i++) if (typeof copy[i] !== 'string') throw pathTypeError(copy[i], i);
      const set = createEncoder(o, false);
      if (set === undefined) throw failure({ options: o, pathAt: (i) => copy[i], what: 'path' });
      const batch = writePaths(copy);
      chunk.length = 0;
      if (!set.register(batch.n, batch.textLen)) {
        set.free();
        throw failure({ options: o, pathAt: (i) => copy[i], what: 'path' });
      }
      this.#raw = set;
      this.#paths = copy;
      this.#options = Object.freeze(o);
    }

    /** Number of registered paths. */
    get size() {
      return this.#paths.length;
    }

    /** The registered paths, in order. */
    get paths() {
      return this.#paths;
    }

    /** The options in force (defaults filled in), without the prefix: `hasPrefix` says whether one is set. */
    get options() {
      return shownOptions(this.#options);
    }

    /**
     * Encodes `values[i]` for path `i` (or for path `indices[i]`), at `timestamps` (one number for all, or
     * one each; now if left out).
     * @returns {Uint8Array[]} frames (views into one buffer).
     */
    encode(values, timestamps, indices) {
      if (this.#raw === null) throw codedError(Error, 'ERR_CARBON_FREED', 'the metric set was freed');
      if (!ArrayBuffer.isView(values) && !Array.isArray(values)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `values must be a Float64Array or an array of numbers, not ${describe(values)}`);
      const n = values.length;
      const v = views(n, 0);
      setNumbers(v.values, values, n, 'values');
      const tsLen = setTimestamps(v.timestamps, timestamps, n);
      const indexed = indices !== undefined && indices !== null;
      if (indexed) {
        if (!(indices instanceof Uint32Array)) {
          if (!Array.isArray(indices)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `indices must be a Uint32Array or an array of numbers, not ${describe(indices)}`);
          for (let i = 0; i < indices.length; i++) {
            const k = indices[i];
            if (!Number.isInteger(k) || k < 0 || k > U32_MAX) throw codedError(RangeError, 'ERR_CARBON_INPUT', `indices[${i}] must be a whole number from 0 to ${U32_MAX}, not ${describe(k)}`);
          }
        }
        if (indices.length !== n) throw codedError(RangeError, 'ERR_CARBON_INPUT', `${indices.length} indices for ${n} values`);
        // Registered path k goes in as RECENT | k (see wasm/src/recent.rs); a number no path can have
        // goes in as one no path has, and the error names the number given.
        const lens = v.lens;
        for (let i = 0; i < n; i++) {
          const k = indices[i];
          lens[i] = RECENT | (k < REMEMBER ? k : REMEMBER - 1);
        }
      } else {
        if (n !== this.#paths.length) {
          throw failure({ frames: [], options: this.#options }, { code: FAILURE.BadInput, index: -1, d: [INPUT.ValuesForPaths, n, this.#paths.length, 0] });
        }
        v.lens.set((this.#numbers ??= Uint32Array.from(this.#paths, (_, k) => RECENT | k)));
      }
      const refused = this.#raw.pushRows(n, 0, tsLen) ? null : lastFailure();
      if (refused && indexed && refused.code === FAILURE.BadInput && refused.d[0] === INPUT.UnknownIndex) refused.d[1] = indices[refused.index];
      const frames = readOut(this.#raw.control(CONTROL.Flush));
      if (refused) {
        throw failure(
          {
            frames,
            options: this.#options,
            pathAt: (i) => this.#paths[indexed ? indices[i] : i],
            valueAt: (i) => values[i],
            timestampAt: (i) => oneTimestamp(timestamps) ?? timestamps[i],
          },
          refused,
        );
      }
      return frames;
    }


    /** Frees the wasm memory now (otherwise it is freed when the set is garbage-collected). */
    free() {
      this.#raw?.free();
      this.#raw = null;
    }
  }

  // ---- inspector ----

  /** Listing text read from the module at a time (whole lines): the module holds one such stretch. */
  const INSPECT_STRETCH = 64 * 1024;
  /** The longest string V8 makes (Node, Chrome, Deno, workerd): 2^29 - 24 UTF-16 code units. */
  const MAX_STRING = 2 ** 29 - 24;

  /**
   * Explains frames byte by byte with the core's decoder: every opcode with its payload offset (Python's
   * `pickletools.dis` layout), then the datapoints carbon would store, or why it would refuse the frame.
   * The listing comes back as one string, of up to 50 bytes per input byte: any input up to 10 MiB fits in
   * the longest string there is (2^29 - 24 characters in V8); a longer listing throws a RangeError
   * (ERR_CARBON_INPUT). In Node, `Inspector` (carbon-pickle/inspect) lists any length a stretch at a time.
   * @param {Uint8Array | ArrayBuffer | ArrayBufferView | Uint8Array[]} frames frames back to back (each with
   *   its 4-byte length header), a list of frames, or one bare pickle payload.
   * @returns {{ text: string, frames: number, refused: number, points: number, skipped: number }}
   */
  function inspect(frames) {
    let bytes;
    if (frames instanceof Uint8Array) bytes = frames;
    else if (frames instanceof ArrayBuffer) bytes = new Uint8Array(frames);
    else if (ArrayBuffer.isView(frames)) bytes = new Uint8Array(frames.buffer, frames.byteOffset, frames.byteLength);
    else if (Array.isArray(frames) && frames.every((f) => f instanceof Uint8Array)) {
      bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of frames) {
        bytes.set(f, at);
        at += f.length;
      }
    } else {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'frames must be a Uint8Array, an ArrayBuffer or an array of Uint8Array');
    }
    if (typeof raw.InspectStream !== 'function') {
      throw codedError(Error, 'ERR_CARBON_NOT_BUILT', "this build of carbon-pickle has no frame inspector (in Node: require('carbon-pickle/inspect'); or build the wasm with --inspect)");
    }
    // The module's inspector over the whole input (its length given: the listing's bound is for all of
    // it), read back a stretch at a time, so that the module never holds the whole listing.
    const stream = new raw.InspectStream(bytes.length);
    try {
      stream.write(bytes);
      stream.end();
      const parts = [];
      let length = 0;
      for (let text = stream.read(INSPECT_STRETCH); text !== ''; text = stream.read(INSPECT_STRETCH)) {
        length += text.length;
        if (length > MAX_STRING) {
          throw codedError(RangeError, 'ERR_CARBON_INPUT', `the listing of these ${bytes.length} bytes is longer than a string can be (${MAX_STRING} characters): list them a stretch at a time with Inspector (carbon-pickle/inspect)`);
        }
        parts.push(text);
      }
      return { text: parts.join(''), frames: stream.frames, refused: stream.refused, points: stream.points, skipped: stream.skipped };
    } finally {
      stream.free();
    }
  }

  // ---- clusters ----

  const HASHES = ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch'];
  const ROUTE = raw.RouteFault;

  function destinationError(destinations, recorded = lastFailure()) {
    const { index, d } = recorded;
    const name = `destination ${index} (${JSON.stringify(destinations[index])})`;
    const [fault, a] = d;
    const texts = {
      [ROUTE.Empty]: [TypeError, `${name} is empty`],
      [ROUTE.MissingPort]: [TypeError, `${name}: no port (expected HOST:PORT[:INSTANCE])`],
      [ROUTE.EmptyHost]: [TypeError, `${name}: empty host`],
      [ROUTE.UnclosedBracket]: [TypeError, `${name}: '[' without ']:' (IPv6 is written [::1]:2004)`],
      [ROUTE.BadPort]: [RangeError, `${name}: the port must be a number from 1 to 65535`],
      [ROUTE.Duplicate]: [TypeError, `${name} repeats destination ${a} (${JSON.stringify(destinations[a])}): the same server and instance, which carbon refuses`],
      [ROUTE.TooMany]: [RangeError, `more than ${a} destinations`],
      [ROUTE.BadReplication]: [RangeError, 'replicationFactor must be at least 1'],
    };
    const [Kind, message] = texts[fault] ?? [Error, `${name} refused`];
    const err = new Kind(message);
    err.code = 'ERR_CARBON_DESTINATION';
    if (fault !== ROUTE.TooMany && fault !== ROUTE.BadReplication) err.index = index;
    return err;
  }

  /**
   * Where carbon-relay puts each metric among `destinations` (`HOST:PORT[:INSTANCE]`): carbon's carbon_ch
   * and fnv1a_ch rings (carbon 1.0 and later), carbon-c-relay's jump_fnv1a_ch, with replication and diverse
   * replicas. The name hashed is the whole metric name, `prefix.path` when a prefix is given.
   */
  class CarbonRouter {
    #raw;
    #destinations;
    #hash;
    #prefix;

    constructor(destinations, options = {}) {
      if (options === null || typeof options !== 'object') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `options must be an object, not ${describe(options)}`);
      checkOptionNames(options, ['hash', 'replicationFactor', 'diverseReplicas', 'prefix']);
      const { hash = 'carbon_ch', replicationFactor = 1, diverseReplicas = true, prefix } = options;
      if (!Array.isArray(destinations) || destinations.some((x) => typeof x !== 'string' || x.includes('\n'))) {
        throw codedError(TypeError, 'ERR_CARBON_OPTIONS', 'destinations must be an array of "HOST:PORT[:INSTANCE]" strings');
      }
      const h = HASHES.indexOf(hash);
      if (h < 0) throw codedError(RangeError, 'ERR_CARBON_OPTIONS', `hash must be carbon_ch, fnv1a_ch or jump_fnv1a_ch, not ${describe(hash)}`);
      if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > 255) {
        throw codedError(RangeError, 'ERR_CARBON_OPTIONS', `replicationFactor must be a whole number from 1 to 255, not ${describe(replicationFactor)}`);
      }
      if (typeof diverseReplicas !== 'boolean') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', `diverseReplicas must be a boolean, not ${describe(diverseReplicas)}`);
      if (prefix !== undefined && prefix !== null && typeof prefix !== 'string') throw codedError(TypeError, 'ERR_CARBON_OPTIONS', 'prefix must be a string');
      if (raw.ClusterRouter === undefined) throw codedError(TypeError, 'ERR_CARBON_NOT_BUILT', "this module has no cluster placement: use CarbonRouter from 'carbon-pickle/cluster'");
      const r = raw.ClusterRouter.create(destinations.join('\n'), h, replicationFactor, diverseReplicas);
      if (r === undefined) throw destinationError(destinations);
      this.#raw = r;
      this.#destinations = Object.freeze(destinations.slice());
      this.#hash = hash;
      this.#prefix = prefix ?? undefined;
    }

    /** The destinations, in configuration order (indices refer to them). */
    get destinations() {
      return this.#destinations;
    }

    get hash() {
      return this.#hash;
    }

    /** Destinations per metric. */
    get replicationFactor() {
      return this.#raw.replication;
    }

    /**
     * With fnv1a_ch, two destinations whose ring points coincide (fnv1a_ch hashes the instance name only:
     * destinations need distinct instances), as `[first, second]`; otherwise null.
     */
    get fnv1aClash() {
      const c = this.#raw.fnv1aClash();
      return c === 0 ? null : [Math.floor(c / 256) - 1, (c % 256) - 1];
    }

    /** The destination indices of one metric path: where carbon-relay sends it first, then its replicas. */
    route(path) {
      const all = this.routeMany([path]);
      const out = [];
      for (const i of all) if (i !== 255) out.push(i);
      return out;
    }

    /**
     * The destinations of many paths at once: `replicationFactor` indices per path, back to back (255 where
     * a path has fewer destinations).
     * @returns {Uint8Array}
     */
    routeMany(paths) {
      if (!Array.isArray(paths)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `paths must be an array of strings, not ${describe(paths)}`);
      const batch = writePaths(paths);
      chunk.length = 0;
      const ptr = this.#raw.route(batch.n, batch.textLen, this.#prefix);
      if (ptr === 0) throw failure({ pathAt: (i) => paths[i], what: 'path' });
      return new Uint8Array(memory.buffer, ptr, batch.n * this.#raw.replication).slice();
    }

    /** Frees the ring's wasm memory now (otherwise the garbage collector does). */
    free() {
      this.#raw?.free();
      this.#raw = undefined;
    }
  }

  return Object.freeze({
    encodeFrames,
    splitFrames,
    FrameEncoder,
    MetricSet,
    ...(raw.ClusterRouter === undefined ? {} : { CarbonRouter }), // only from the module built with cluster placement (js/route.cjs)
    CARBON_MAX_PAYLOAD,
    CARBON_MAX_POINTS,
    inspect,
  });
}
