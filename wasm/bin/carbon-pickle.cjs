#!/usr/bin/env node
'use strict';
// carbon-pickle: carbon plaintext lines ("path value timestamp") in, pickle frames out; and frames
// explained opcode by opcode.
//
//   carbon-pickle send --to host:port [--tls] [--ca FILE] [--timeout S] [options] < lines
//   carbon-pickle encode [options] < lines > frames
//   carbon-pickle inspect [--hex HEX] < frames
//
// Tagged paths (`disk.used;rack=a1;dc=dc1`, or the OpenMetrics form) are written in carbon's canonical order
// by the core; --tag K=V (repeatable) adds a Graphite tag to every line's path.
//
// Bad lines are reported on stderr with their line numbers and skipped; the exit status is then 1. send exits
// 0 only when every datapoint was written to the receiver; otherwise it says how many were not (exit 4).
// Progress goes to stderr every few seconds on long inputs, totals at the end.
//
// The prefix (Hosted Graphite: the API key) comes from CARBON_PICKLE_PREFIX, --prefix-file FILE or --prefix P
// (that order of precedence, lowest first); the first two keep it out of `ps` and shell history. Nothing the
// CLI prints contains it: error lines name paths as given (without the prefix), the encoder words a bad
// prefix without quoting it, and messages from errors are redacted besides (see `secret`).

const fs = require('node:fs');
const { FrameEncoder } = require('../js/node.cjs');
const { CarbonClient, parseDestination, parseTarget } = require('../js/client.cjs');
const { LineParser } = require('../js/lines.cjs');

// Runs under Node, and under Bun (`bunx`) and Deno (`deno run --allow-net npm:carbon-pickle`) through their
// Node compatibility.

const USAGE = `usage:
  carbon-pickle send --to HOST:PORT [--tls] [--ca FILE] [--servername NAME] [--timeout S] [options] < lines
  carbon-pickle send --to HOST:PORT:INSTANCE --to ... [--hash H] [--replication N] [--no-diverse-replicas] < lines
  carbon-pickle encode [options] < lines > frames
  carbon-pickle inspect < frames | --hex HEX | --hex -

Reads carbon plaintext lines ("path value [timestamp]"; no timestamp or -1 means now) from stdin, as
carbon's line receiver reads them (fields split on Python's whitespace, numbers by Python's float());
a bad line, or one over 16384 bytes, is reported with its number and skipped. Tagged paths
(disk.used;rack=a1;dc=dc1, or disk.used{dc="dc1"}) are checked by carbon's tag rules and written in
carbon's canonical order (tags sorted, the last of a repeated tag kept).
send    ships them as pickle frames to a carbon pickle receiver (TCP, or TLS with --tls: certificates are
        verified, against --ca FILE if given; Hosted Graphite: CARBON_PICKLE_PREFIX=YOUR-API-KEY
        carbon-pickle send --to carbon.hostedgraphite.com:20040 --tls).
        With several --to (HOST:PORT[:INSTANCE], IPv6 as [::1]:2004:a) it sends each datapoint to the
        carbon-caches carbon-relay would pick (--hash carbon_ch, the default, fnv1a_ch or jump_fnv1a_ch;
        --replication N copies, on distinct servers unless --no-diverse-replicas), one connection each.
        It waits for a receiver that is down or slow, up to --timeout seconds without progress (default
        30); it exits 0 only when every datapoint was written, otherwise 4 with "N of M datapoints not
        delivered" on stderr.
encode  writes the frames to stdout.
inspect explains frames (binary on stdin; or hex, as an argument or with --hex - on stdin; spaces, 0x, \\x,
        commas and colons allowed) with the package's decoder: every opcode as Python's pickletools.dis
        shows it, then the datapoints carbon would store or why it would refuse the frame. Exit status 1
        when a frame would be refused.

options:
  --prefix P          prepend "P." to every path; P also comes from the environment variable
                      CARBON_PICKLE_PREFIX or from --prefix-file FILE (its first line), which keep it out of
                      ps and shell history (--prefix wins over --prefix-file, which wins over the variable)
  --prefix-file FILE  the prefix from FILE (a trailing newline is stripped)
  --protocol 0|2      pickle protocol (default 2)
  --max-points N      datapoints per frame (default 500)
  --max-bytes N       payload bytes per frame (default 1048576, carbon's PICKLE_RECEIVER_MAX_LENGTH)
  --receiver-max-bytes N
                      send: the largest payload the receiver takes (default 1048576): --max-bytes above
                      it is refused (go-carbon takes 64 MiB, carbon-relay-ng 500 MiB)
  --tag K=V           add the Graphite tag K=V to every path (repeatable; it wins over a tag of the same
                      name in a line, as the last of repeated tags does in carbon)
  --allow-spaces      allow spaces in paths
  --ascii-only        refuse non-ASCII paths
  --timeout S         send: seconds to wait for the receiver without progress (default 30)
  --quiet             no progress or totals (bad lines are still reported)
  --help, --version`;

const FLAGS = new Set(['tls', 'allow-spaces', 'ascii-only', 'quiet', 'help', 'version', 'no-diverse-replicas']);
const REPEATABLE = new Set(['to', 'tag']);
const VALUES = new Set(['to', 'ca', 'servername', 'prefix', 'prefix-file', 'protocol', 'max-points', 'max-bytes', 'receiver-max-bytes', 'hex', 'timeout', 'hash', 'replication', 'tag']);

class UsageError extends Error {}

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      args._.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      args[name] = true;
    } else if (VALUES.has(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      if (REPEATABLE.has(name)) (args[name] ??= []).push(v);
      else args[name] = v;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return args;
}

function integer(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not ${v}`);
  return n;
}

// ---- the prefix ----

const PREFIX_ENV = 'CARBON_PICKLE_PREFIX';

// The prefix in use and where it came from, once resolved: every message built from an error is passed
// through redact().
let secret = '';
let secretFrom = '';

// CARBON_PICKLE_PREFIX, or undefined. Deno reads a variable only with --allow-env: without it (asked first,
// so that Deno does not prompt) the variable is not read, and a note says so.
function prefixFromEnv(args) {
  const deno = globalThis.Deno;
  if (deno === undefined) return process.env[PREFIX_ENV];
  try {
    if (deno.permissions.querySync({ name: 'env', variable: PREFIX_ENV }).state === 'granted') return process.env[PREFIX_ENV];
  } catch {
    // refused
  }
  if (!args.quiet) report(`no prefix (Deno reads ${PREFIX_ENV} only with --allow-env=${PREFIX_ENV})`);
  return undefined;
}

// --prefix, else --prefix-file, else CARBON_PICKLE_PREFIX; undefined when none is given. An empty one is
// refused (an unset variable in `CARBON_PICKLE_PREFIX="$KEY"` must not send the datapoints without their key).
function resolvePrefix(args) {
  let prefix;
  let from;
  if (args.prefix !== undefined) {
    [prefix, from] = [args.prefix, '--prefix'];
  } else if (args['prefix-file'] !== undefined) {
    const file = args['prefix-file'];
    try {
      prefix = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const deno = err.name === 'NotCapable' ? `: Deno reads it with --allow-read=${file}` : '';
      throw new UsageError(`--prefix-file: cannot read ${file} (${err.code ?? err.name}${deno})`);
    }
    prefix = prefix.replace(/\r?\n$/, '');
    from = `--prefix-file ${file}`;
  } else {
    prefix = prefixFromEnv(args);
    if (prefix === undefined) return undefined;
    from = PREFIX_ENV;
  }
  if (prefix === '') throw new UsageError(`the prefix from ${from} is empty`);
  secret = prefix;
  secretFrom = from;
  return prefix;
}

// A message from an error (the encoder's, the client's, the system's) with the prefix cut out, should one
// ever quote it. Only prefixes of 8 characters and more are cut: API keys are long (Hosted Graphite's are
// UUIDs), and a short prefix is a namespace that would also match ordinary words.
function redact(text) {
  return secret.length >= 8 ? String(text).split(secret).join('<prefix>') : String(text);
}

function encoderOptions(args) {
  const o = {};
  const prefix = resolvePrefix(args);
  if (prefix !== undefined) o.prefix = prefix;
  if (args.protocol !== undefined) o.protocol = integer('protocol', args.protocol);
  if (args['max-points'] !== undefined) o.maxPoints = integer('max-points', args['max-points']);
  if (args['max-bytes'] !== undefined) o.maxBytes = integer('max-bytes', args['max-bytes']);
  if (args['allow-spaces']) o.allowSpaces = true;
  if (args['ascii-only']) o.asciiOnly = true;
  return o;
}

// --tag K=V (repeatable) as `{ K: V }`, checked by the core's tag rules (a bad one is a usage error); undefined
// without --tag.
function tagOption(args) {
  if (args.tag === undefined) return undefined;
  const tags = {};
  for (const t of args.tag) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag needs K=V, not ${JSON.stringify(t)}`);
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  const check = new FrameEncoder({ allowSpaces: !!args['allow-spaces'], asciiOnly: !!args['ascii-only'] });
  try {
    check.push({ path: 'tag', tags, value: 0, timestamp: 0 });
  } catch (err) {
    throw new UsageError(`--tag: ${err.message.replace(/^datapoint \(path .*?\): /, '')}`);
  } finally {
    check.free();
  }
  return tags;
}

// ---- reading lines ----

// stdin's lines, read by the core's plaintext reader (js/lines.cjs) exactly as carbon's line receiver reads
// them: the datapoints of each chunk go on as columns, the bad lines are reported with their numbers (one
// write per chunk) and counted. No line is parsed here.
class Lines {
  // `tags`: added to every datapoint (--tag), or undefined.
  constructor(options, tags) {
    this.parser = new LineParser(options);
    this.tags = tags;
    this.bad = 0;
  }

  /** Lines read so far. */
  get read() {
    return this.parser.lines;
  }

  /**
   * Reads stdin to its end. Each chunk's datapoints go to `push` (columns for pushMany/writeMany), then
   * `after()` is awaited (output, backpressure, progress).
   */
  async readStdin(push, after) {
    for await (const chunk of process.stdin) {
      this.#take(this.parser.feed(chunk), push);
      await after();
    }
    this.#take(this.parser.end(), push);
    await after();
  }

  #take(r, push) {
    if (r.refused > 0) {
      this.bad += r.refused;
      const said = r.refusals.slice(0, -1).split('\n');
      process.stderr.write(redact(`carbon-pickle: ${said.join('\ncarbon-pickle: ')}\n`));
    }
    let { paths, values, timestamps } = r.points;
    let { lines } = r;
    while (paths.length > 0) {
      try {
        push(this.tags === undefined ? { paths, values, timestamps } : { paths, values, timestamps, tags: this.tags });
        return;
      } catch (err) {
        // The reader put every datapoint through the encoder's checks, with protocol 2's sizes: only a
        // protocol-0 datapoint within bytes of --max-bytes gets here. Those before it were taken; report
        // it by its line and go on.
        if (typeof err.index !== 'number') throw err;
        const k = err.index;
        this.bad += 1;
        const why = err.message.replace(/^datapoint \d+ \((path .*?)\): /, '$1: ').replace(/^datapoint \d+: /, '');
        report(`line ${lines[k]}: ${redact(why)}`);
        paths = paths.slice(k + 1);
        [values, timestamps, lines] = [values.subarray(k + 1), timestamps.subarray(k + 1), lines.subarray(k + 1)];
      }
    }
  }
}

// ---- commands ----

function progress(args, stats) {
  if (args.quiet) return { tick() {}, done() {} };
  const started = Date.now();
  let last = started;
  return {
    tick() {
      const now = Date.now();
      if (now - last >= 2000) {
        last = now;
        process.stderr.write(`carbon-pickle: ${stats()} so far\n`);
      }
    },
    done() {
      process.stderr.write(`carbon-pickle: ${stats()} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}

const report = (msg) => process.stderr.write(`carbon-pickle: ${msg}\n`);

async function writeOut(frames) {
  for (const f of frames) {
    if (!process.stdout.write(f)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}

async function encode(args) {
  const options = encoderOptions(args);
  const encoder = new FrameEncoder(options);
  const lines = new Lines(options, tagOption(args));
  let points = 0;
  let frames = 0;
  let bytes = 0;
  const count = (fs) => {
    for (const f of fs) {
      frames += 1;
      bytes += f.length;
      points += f.points;
    }
    return fs;
  };
  const p = progress(args, () => `${lines.read} lines, ${points} datapoints in ${frames} frames (${bytes} bytes), ${lines.bad} bad lines`);
  let out = [];
  await lines.readStdin(
    (batch) => {
      for (const f of encoder.pushMany(batch)) out.push(f);
    },
    async () => {
      const done = out;
      out = [];
      await writeOut(count(done));
      p.tick();
    },
  );
  await writeOut(count(encoder.flush()));
  p.done();
  return lines.bad > 0 ? 1 : 0;
}

async function send(args) {
  if (args.to === undefined) throw new UsageError('send needs --to HOST:PORT');
  const targets = args.to;
  const first = parseDestination(targets[0]);
  let where;
  const clustered = targets.length > 1 || args.hash !== undefined || args.replication !== undefined || args['no-diverse-replicas'];
  if (clustered || first.instance !== undefined) {
    // A carbon cluster: the caches carbon-relay would pick, one connection each.
    where = {
      destinations: targets,
      hash: args.hash ?? 'carbon_ch',
      replicationFactor: args.replication === undefined ? 1 : integer('replication', args.replication),
      diverseReplicas: !args['no-diverse-replicas'],
    };
  } else {
    where = parseTarget(targets[0]);
  }
  const seconds = args.timeout === undefined ? 30 : Number(args.timeout);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`--timeout must be a number of seconds > 0, not ${args.timeout}`);
  const timeout = seconds * 1000;
  let tls = false;
  if (args.tls || args.ca !== undefined || args.servername !== undefined) {
    tls = {};
    if (args.ca !== undefined) tls.ca = fs.readFileSync(args.ca);
    if (args.servername !== undefined) tls.servername = args.servername;
  } else if (first.port === 20040) {
    report('port 20040 is Hosted Graphite\'s TLS port: add --tls');
  }
  const options = encoderOptions(args);
  if (args['receiver-max-bytes'] !== undefined) options.receiverMaxBytes = integer('receiver-max-bytes', args['receiver-max-bytes']);
  if (options.maxBytes > (options.receiverMaxBytes ?? 1048576)) {
    throw new UsageError(`--max-bytes ${options.maxBytes} is more than the receiver takes (carbon closes the connection on a payload over 1048576 bytes); if yours takes more, say so with --receiver-max-bytes`);
  }
  const client = new CarbonClient({ ...where, ...options, tls, maxQueuedPoints: 200000 });
  client.on('warning', (err) => report(`warning: ${redact(err.message)}`));
  let lastError = null;
  const reported = new Map(); // destination -> the last error reported for it (each reported once)
  client.on('disconnect', (err, info) => {
    const to = info ? ` to ${info.destination}` : '';
    if (err && reported.get(to) !== err.message) report(`connection${to}: ${redact(err.message)}`);
    reported.set(to, err?.message);
    lastError = err;
  });
  client.on('connect', (info) => {
    lastError = null;
    reported.delete(info ? ` to ${info.destination}` : '');
  });
  const lines = new Lines(options, tagOption(args));
  const p = progress(args, () => {
    const s = client.stats;
    return `${lines.read} lines, ${s.points} datapoints written in ${s.frames} frames (${s.bytes} bytes), ${lines.bad} bad lines${s.dropped ? `, ${s.dropped} dropped` : ''}`;
  });
  // Waits for the receiver, or gives up after `timeout` ms without progress.
  const patiently = async (wait) => {
    for (;;) {
      const before = client.stats.points;
      try {
        return await wait();
      } catch (err) {
        if (err.code !== 'ETIMEDOUT' || client.stats.points === before) throw err;
      }
    }
  };
  try {
    await lines.readStdin(
      (batch) => client.writeMany(batch),
      async () => {
        // Backpressure: wait for room instead of dropping.
        if (client.writableNeedDrain) await patiently(() => client.ready({ timeout }));
        p.tick();
      },
    );
    await patiently(() => client.flush({ timeout }));
    await client.close({ timeout });
  } catch (err) {
    if (err.code !== 'ETIMEDOUT') throw err;
    // With replication a datapoint is sent once per destination: copies are counted then.
    const { points, queuedPoints } = client.stats;
    client.destroy();
    process.stdin.destroy(); // lines not read yet would hold the process open
    p.done();
    const what = where.destinations && where.replicationFactor > 1 ? 'datapoint copies' : 'datapoints';
    report(`${queuedPoints} of ${points + queuedPoints} ${what} not delivered: ${lastError ? `${redact(lastError.message)}, ` : ''}no progress for ${seconds} s`);
    return 4;
  }
  p.done();
  if (client.stats.dropped > 0) return 3;
  return lines.bad > 0 ? 1 : 0;
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks);
}

// The length of stdin when it is a file (its listing is then bounded as inspect() bounds it); otherwise
// undefined: a pipe's listing is bounded by the bytes read so far.
function stdinFileLength() {
  try {
    const s = fs.fstatSync(0);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function inspectFrames(args, rest) {
  // Loaded only here: the inspector is a wasm module of its own, three times the size of the encoder's.
  const { Inspector, parseHex } = require('../js/inspect.cjs');
  let input;
  let inputLength;
  if (args.hex !== undefined) {
    // Hex is read whole (people paste it), so that bad hex stops the command before any listing.
    // Unquoted hex with spaces arrives as several arguments.
    const text = args.hex === '-' ? (await readStdin()).toString('latin1') : [args.hex, ...rest].join(' ');
    try {
      input = [parseHex(text)];
    } catch (err) {
      throw new UsageError(`--hex: ${err.message}`);
    }
    inputLength = input[0].length;
  } else {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]} (hex goes after --hex)`);
    // Binary is listed as it comes in, a frame at a time, each stretch of the listing written (and stdout
    // drained) before more is read: the memory is the same for any length of input.
    input = process.stdin;
    inputLength = stdinFileLength();
  }
  const inspector = new Inspector({ inputLength });
  let read = 0;
  for await (const chunk of input) {
    read += chunk.length;
    await writeOut(inspector.write(chunk));
  }
  if (read === 0) {
    inspector.free();
    report('no frames to inspect');
    return 1;
  }
  await writeOut(inspector.end());
  const { frames, refused, points, skipped } = inspector;
  if (!args.quiet) {
    const skips = skipped ? `, ${skipped} elements carbon would skip` : '';
    report(`${frames} frame${frames === 1 ? '' : 's'}, ${refused} refused, ${points} datapoints carbon would store${skips}`);
  }
  return refused > 0 ? 1 : 0;
}

async function main(argv) {
  let args;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (args.version) {
      process.stdout.write(`${require('../package.json').version}\n`);
      return 0;
    }
    const [cmd, ...rest] = args._;
    if (cmd === 'inspect') return await inspectFrames(args, rest);
    if (args.hex !== undefined) throw new UsageError('--hex is an option of inspect');
    if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
    if (cmd === 'send') return await send(args);
    if (cmd === 'encode') return await encode(args);
    throw new UsageError(cmd === undefined ? 'missing command' : `unknown command ${cmd}`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`carbon-pickle: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err.code === 'ERR_CARBON_INVALID_PREFIX') {
      // Said with where the prefix came from, and without it (should the message quote it).
      const why = redact(err.message).replace(/^invalid prefix(?: "(?:[^"\\]|\\.)*")?: /, '');
      process.stderr.write(`carbon-pickle: invalid prefix (from ${secretFrom}): ${why}\n`);
      return 2;
    }
    if (err instanceof TypeError || err instanceof RangeError) {
      // Options the encoder refuses (limits).
      process.stderr.write(`carbon-pickle: ${redact(err.message)}\n`);
      return 2;
    }
    throw err;
  }
}

process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`carbon-pickle: ${redact(err.stack ?? err)}\n`);
    process.exitCode = 3;
  },
);
