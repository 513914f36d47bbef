"""Placement reference: carbon 1.1.10's own ConsistentHashingRouter against the Rust router.

Driven by core/tests/route_reference.rs, which starts this script with pipes: requests go out on stdout,
the Rust router's answers come back on stdin, one line each. Every comparison happens here, and the last
line on stderr sums them up; the exit status is 1 if anything differed.

Requests (fields separated by tabs, text fields hex-encoded UTF-8):
  C hash replication diverse dest...  configure a router -> "ok" or "err <reason>"
  M name                              route a name -> destination indices, comma-separated
  P prefix path                       route prefix.path given in two parts
  K host instance|-                   Python's str((host, instance)) -> the text
  D dest                              parse a destination -> "host port instance|-" (hex) or "err ..."
  F                                   flush; Q quits
Usage: python route_reference.py NAMES SEED [placement]
  (placement: only the C, M and P requests, for a router that does not expose key text or parsing)
"""
import random
import sys
import threading

from carbon.routers import ConsistentHashingRouter
from carbon.util import parseDestination


class Settings(dict):
    def __getattr__(self, name):
        return self[name]


out = sys.stdout
answers = sys.stdin


def h(s):
    return s.encode("utf-8").hex()


def ask(lines):
    """Sends request lines and reads one answer per line. A thread writes while this one reads, so that
    neither side blocks on a full pipe."""
    def send():
        out.write("".join(line + "\n" for line in lines))
        out.write("F\n")
        out.flush()
    writer = threading.Thread(target=send)
    writer.start()
    got = [answers.readline().rstrip("\n") for _ in lines]
    writer.join()
    return got


def carbon_router(hash_type, replication, diverse, dests):
    router = ConsistentHashingRouter(Settings(
        REPLICATION_FACTOR=replication, DIVERSE_REPLICAS=diverse, ROUTER_HASH_TYPE=hash_type))
    parsed = [parseDestination(d) for d in dests]
    for p in parsed:
        router.addDestination(p)
    return router, {(s, i): n for n, (s, _, i) in enumerate(parsed)}


COMPONENTS = ["servers", "web01", "cpu", "user", "load", "disk", "sda1", "température", "日本", "Москва",
              "ünïcødé", "😀", "idle", "p99", "requests", "count", "héllo", "ĳ", "a-b_c", "x"]


def metric_name(rnd, i):
    k = rnd.randrange(1, 6)
    parts = [rnd.choice(COMPONENTS) for _ in range(k)]
    parts.append("m%d" % i)
    if rnd.random() < 0.1:
        parts.append("".join(chr(rnd.randrange(0x80, 0x3000)) for _ in range(3)))
    return ".".join(parts)


def random_dests(rnd, n):
    hosts = []
    for k in range(rnd.randrange(1, n + 1)):
        kind = rnd.randrange(4)
        if kind == 0:
            hosts.append("10.0.%d.%d" % (rnd.randrange(4), rnd.randrange(256)))
        elif kind == 1:
            hosts.append("[fd00::%x]" % rnd.randrange(1 << 16))
        elif kind == 2:
            hosts.append("cache-%d.example" % rnd.randrange(100))
        else:
            hosts.append(rnd.choice(["[::1]", "localhost", "127.0.0.1", "it's", "ホスト"]))
    use_instances = rnd.random()
    dests, seen = [], set()
    tries = 0
    while len(dests) < n:
        tries += 1
        if tries % 50 == 0:  # too few hosts for distinct (server, instance) pairs: one more host
            hosts.append("cache-extra-%d" % tries)
        host = rnd.choice(hosts)
        port = rnd.choice([2004, 2104, 2204, 2014])
        if use_instances < 0.2:
            instance = None
        elif use_instances < 0.9:
            instance = rnd.choice("abcdefghijklmnopqrstuvwxyz") + str(rnd.randrange(30))
        else:
            instance = rnd.choice([None, "a", "b", "c", "d", "e", "f", "g", "h", "ü", "it's", "x\\y", "q\"", ""])
        server = host[1:-1] if host.startswith("[") else host
        if (server, instance) in seen:
            continue
        seen.add((server, instance))
        dests.append("%s:%d" % (host, port) + ("" if instance is None else ":" + instance))
    return dests


def check_placement(rnd, configs, names_per_config):
    compared = differed = 0
    for c in range(configs):
        hash_type = "carbon_ch" if c % 2 == 0 else "fnv1a_ch"
        n = rnd.randrange(1, 21)
        replication = rnd.randrange(1, 4)
        diverse = rnd.random() < 0.5
        dests = random_dests(rnd, n)
        router, index = carbon_router(hash_type, replication, diverse, dests)
        [ok] = ask(["\t".join(["C", hash_type, str(replication), "1" if diverse else "0"] + [h(d) for d in dests])])
        if ok != "ok":
            print("config %d refused: %s %r" % (c, ok, dests), file=sys.stderr)
            differed += names_per_config
            continue
        prefix = rnd.choice([None, "app", "KEY-1234.env"])
        names = [metric_name(rnd, i) for i in range(names_per_config)]
        lines = []
        for i, name in enumerate(names):
            if prefix is not None and i % 2:
                lines.append("P\t%s\t%s" % (h(prefix), h(name)))
            else:
                lines.append("M\t%s" % h(name if prefix is None else prefix + "." + name))
        got = ask(lines)
        for i, name in enumerate(names):
            full = name if prefix is None else prefix + "." + name
            want = []
            for (server, _, instance) in router.getDestinations(full):
                k = index[(server, instance)]
                if k not in want:  # the relay keeps a set of destinations
                    want.append(k)
            compared += 1
            if got[i] != ",".join(map(str, want)):
                differed += 1
                if differed <= 10:
                    print("differs: %s %s r=%d diverse=%s %r: carbon %s, rust %s"
                          % (hash_type, full, replication, diverse, dests, want, got[i]), file=sys.stderr)
    return compared, differed


def check_duplicates(rnd):
    """Carbon refuses a destination with the same (server, instance); the Rust router must too."""
    cases = [
        ["10.0.0.1:2004:a", "10.0.0.1:2104:a"],
        ["10.0.0.1:2004", "10.0.0.1:2104"],
        ["[::1]:2004:a", "[::1]:2004:b", "[::1]:2005:a"],
        ["h:2004:a", "h:2004:b", "g:2004:a"],
    ]
    differed = 0
    for dests in cases:
        try:
            carbon_router("carbon_ch", 1, True, dests)
            carbon_ok = True
        except Exception:
            carbon_ok = False
        [got] = ask(["\t".join(["C", "carbon_ch", "1", "1"] + [h(d) for d in dests])])
        if carbon_ok != (got == "ok"):
            differed += 1
            print("duplicate check differs for %r: carbon ok=%s, rust %s" % (dests, carbon_ok, got), file=sys.stderr)
    return len(cases), differed


def check_keys(rnd):
    """str((host, instance)) for every code point (surrogates aside) and for quote mixes."""
    lines, want = [], []
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(cps), 400):
        host = "".join(chr(c) for c in cps[start:start + 400])
        instance = rnd.choice([None, "a", "it's", 'q"', "both'\"", "\\", "é\t"])
        lines.append("K\t%s\t%s" % (h(host), "-" if instance is None else h(instance)))
        want.append(str((host, instance)))
    for _ in range(2000):
        host = "".join(rnd.choice("ab'\"\\\t\n\r\x00\x7f\x80\xa0éü€\u2028\u200b\U0001F600\U000E0001 ") for _ in range(rnd.randrange(0, 8)))
        instance = None if rnd.random() < 0.2 else "".join(rnd.choice("x'\"\\é\x1f") for _ in range(rnd.randrange(0, 4)))
        lines.append("K\t%s\t%s" % (h(host), "-" if instance is None else h(instance)))
        want.append(str((host, instance)))
    got = ask(lines)
    differed = sum(1 for g, w in zip(got, want) if g != w)
    for g, w in zip(got, want):
        if g != w:
            print("key differs: python %r, rust %r" % (w[:200], g[:200]), file=sys.stderr)
            break
    return len(lines), differed


def carbon_port_text(s):
    """The text carbon's parseDestination hands to int() as the port."""
    s = s.strip()
    port = s[s.rfind("]:") + 2:] if s.startswith("[") else s[s.find(":") + 1:]
    return port.partition(":")[0]


def stricter(s, server, got):
    """Whether the Rust parser refused, on purpose, a destination carbon accepts: a port that is not ASCII
    digits in 1..65535 (int() takes " 2004", "+2004", "2_004"), an empty host, a missing ':' (carbon then
    cuts the last character off as the host: "2004" is host "200", port 2004) or a '[' without ']:'."""
    port = carbon_port_text(s)
    return ((got == "err BadPort" and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535))
            or (got == "err Syntax(EmptyHost)" and server == "")
            or (got == "err Syntax(MissingPort)" and ":" not in s)
            or (got == "err Syntax(UnclosedBracket)" and "]:" not in s))


def check_parsing(rnd):
    """Destinations carbon parses must parse the same; those it refuses must be refused. What only the
    stricter Rust parser refuses is counted apart."""
    alphabet = "ab1:[]2 0\t.:\u00e9:4"
    samples = ["10.0.0.1:2004", "10.0.0.1:2004:a", "[::1]:2004:a", "[::1]:2004", " h:2004:a:b ", "h:2004:",
               "[fd00::1]:65535:x", "h:0", "h:65536", "h:+2004", "h: 2004", "[::1:2004", "h", ":2004",
               "\x1ch:1\x1f", "2004", "[5"]
    for _ in range(3000):
        samples.append("".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 12))))
    got = ask(["D\t%s" % h(s) for s in samples])
    differed = refused = 0
    for s, g in zip(samples, got):
        try:
            server, port, instance = parseDestination(s)
            want = " ".join([h(server), str(port), "-" if instance is None else h(instance)])
        except Exception:
            server, want = None, None
        if want is None:
            if not g.startswith("err"):
                differed += 1
                print("parse: carbon refuses %r, rust %s" % (s, g), file=sys.stderr)
        elif g != want:
            if stricter(s, server, g):
                refused += 1
            else:
                differed += 1
                print("parse: %r carbon %s, rust %s" % (s, want, g), file=sys.stderr)
    return len(samples), differed, refused


def main():
    names, seed = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    per_config = 5000
    configs = max(2, names // per_config)
    compared, differed = check_placement(rnd, configs, per_config)
    dup_n, dup_d = check_duplicates(rnd)
    if sys.argv[3:] == ["placement"]:  # a router that only places (the npm package's CarbonRouter)
        out.write("Q\n")
        out.flush()
        print("names %d differences %d configs %d; duplicates %d/%d differ" % (compared, differed, configs, dup_d, dup_n),
              file=sys.stderr)
        sys.exit(1 if differed or dup_d else 0)
    key_n, key_d = check_keys(rnd)
    parse_n, parse_d, parse_s = check_parsing(rnd)
    out.write("Q\n")
    out.flush()
    print("names %d differences %d configs %d; duplicates %d/%d differ; keys %d/%d differ; "
          "destinations parsed %d/%d differ (%d refused only by the stricter port/host rules)"
          % (compared, differed, configs, dup_d, dup_n, key_d, key_n, parse_d, parse_n, parse_s), file=sys.stderr)
    sys.exit(1 if differed or dup_d or key_d or parse_d else 0)


if __name__ == "__main__":
    main()
