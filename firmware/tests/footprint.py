#!/usr/bin/env python3
"""Footprint of the firmware images: section sizes of the ELF and who they belong to.

    footprint.py [--board mps2-an386|mps2-an385|embassy-an386] [--json] [--no-tls] [--stack-report FILE]

The TLS images of mps2-node and embassy-node (feature tls, built by run_tests.py into target/tls/) follow the plain ones when
they are there, with the RAM they need (static RAM plus the stack high-water that run_tests.py measured, if
given with --stack-report) against the boards' 4 MiB.

Images: mps2-node (super-loop, blocking sender, smoltcp-nal) on both boards, and embassy-node (embassy-executor,
embassy-net, the async sender) on mps2-an386; the last table sets Flash and RAM of the images side by side.
Sizes come from the ELF's section headers; the split by crate from the linker map that mps2-node/build.rs
asks for (OUT_DIR/<package>.map). Each build of a package (plain, feature tls, ...) has a build-script
directory and a map of its own, and `target/<triple>/release/<package>` is whichever build cargo uplifted
last: the map is the one that lists the image's own object files (deps/<crate>-<hash>.*), and its output
sections must have the image's sizes, or the report stops. An image built with feature tls is labelled so. rustc puts every function and static in its own input section, named
after its mangled symbol, and the map lists each with its size, so a section is attributed to the crate its
symbol belongs to. Code the optimizer inlined into another crate's function counts for that crate: the
carbon-pickle figure is what remains of the core as functions of its own. Reported, not asserted.
"""

import argparse
import json
import os
import re
import struct
import sys
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or FIRMWARE / "target")
TRIPLES = {"mps2-an386": "thumbv7em-none-eabihf", "mps2-an385": "thumbv7m-none-eabi", "embassy-an386": "thumbv7em-none-eabihf"}
PACKAGES = {"mps2-an386": "mps2-node", "mps2-an385": "mps2-node", "embassy-an386": "embassy-node"}

GROUPS = [
    ("carbon-pickle (core, ryu, itoa)", {"carbon_pickle", "ryu", "itoa"}),
    ("carbon-sender", {"carbon_sender"}),
    ("network (smoltcp, smoltcp-nal / embassy-net)", {"smoltcp", "smoltcp_nal", "embedded_time", "nanorand", "managed",
                                                      "embassy_net", "embassy_net_driver"}),
    ("embassy (executor, time, sync, futures)", {"embassy_executor", "embassy_time", "embassy_time_driver",
                                                 "embassy_time_queue_utils", "embassy_sync", "embassy_futures",
                                                 "static_cell"}),
    ("firmware (node, mps2-board, sensor-node)", {"mps2_node", "embassy_node", "mps2_board", "sensor_node"}),
    ("defmt, semihosting, cortex-m", {"defmt", "defmt_semihosting", "semihosting", "panic_probe", "cortex_m",
                                      "cortex_m_rt", "cortex_m_semihosting", "critical_section"}),
    ("heapless, embedded-nal(-async), embedded-io(-async)", {"heapless", "embedded_nal", "embedded_io", "nb", "hash32",
                                                             "embedded_io_async", "embedded_nal_async"}),
    ("Rust core, compiler-builtins", {"core", "compiler_builtins", "alloc"}),
    ("TLS: embedded-tls, der (X.509)", {"embedded_tls", "der", "const_oid", "portable_atomic"}),
    ("crypto: P-256, AES-GCM, SHA-256, ChaCha", {
        "p256", "primeorder", "ecdsa", "elliptic_curve", "aes", "aes_gcm", "sha2", "hkdf", "hmac", "polyval",
        "ghash", "universal_hash", "cipher", "ctr", "aead", "sec1", "crypto_bigint", "digest", "signature",
        "generic_array", "typenum", "subtle", "zeroize", "block_buffer", "crypto_common", "ff", "group", "rfc6979",
        "base16ct", "rand_chacha", "ppv_lite86", "rand_core"}),
]
OTHER = "other / unattributed"


def elf_sections(path):
    """{name: (size, flags, type)} from an ELF32 little-endian file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 1 and data[5] == 1, "not a 32-bit little-endian ELF"
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx]
    names = data[strtab[4] : strtab[4] + strtab[5]]
    out = {}
    for name_off, sh_type, flags, _addr, _off, size, *_ in headers:
        name = names[name_off : names.index(b"\0", name_off)].decode()
        if name:
            out[name] = (size, flags, sh_type)
    return out


def crate_of(symbol):
    """The crate of a Rust symbol: legacy mangling (`_ZN<len><ident>...`, the impl'd type's crate for
    `<T as Trait>` symbols) or v0 (`_R...C<disambiguator>_<len><crate>...`, as the precompiled `core` uses);
    None when it is not one."""
    if symbol.startswith("_R"):
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)([a-z_][a-z0-9_]*)", symbol)
        return m and m[2][: int(m[1])]
    m = re.match(r"_ZN(\d+)", symbol)
    if not m:
        return None
    n = int(m[1])
    ident = symbol[m.end() : m.end() + n]
    if ident.startswith("_$LT$"):
        inner = re.sub(r"^(\$[A-Za-z0-9]+\$|_)+", "", ident[5:])
        m2 = re.match(r"[a-z_][a-z0-9_]*", inner)
        return m2[0] if m2 else None
    return ident


def group_of(crate):
    for name, crates in GROUPS:
        if crate in crates:
            return name
    return OTHER


def map_attribution(map_path):
    """{output section: {group: bytes}} from the input sections listed in the map."""
    out = {}
    section = None
    line_re = re.compile(r"^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)\s(\s*)(\S.*)$")
    for line in map_path.read_text().splitlines():
        m = line_re.match(line)
        if not m:
            continue
        depth, rest = len(m[5]), m[6]
        if depth == 0:
            section = rest if rest.startswith(".") else None
            continue
        if section is None or depth != 8:
            continue
        size = int(m[3], 16)
        im = re.match(r"(.*):\((\S+)\)$", rest)
        if not im or size == 0:
            continue
        obj, insec = im[1], im[2]
        sym = insec.split(".", 2)[2] if insec.count(".") >= 2 else ""
        crate = crate_of(sym)
        if crate is None:
            om = re.search(r"lib([a-z_0-9]+?)-[0-9a-f]+\.rlib", obj)
            crate = om[1] if om else None
        g = group_of(crate)
        out.setdefault(section, {}).setdefault(g, 0)
        out[section][g] += size
    return out


# The boards' RAM (memory.x): ZBT SSRAM2/3, 4 MiB.
RAM = 4 * 1024 * 1024


def image_deps_file(elf):
    """The deps/<crate>-<hash> file that cargo uplifted to `elf` (a hard link to it, or a copy)."""
    crate = elf.name.replace("-", "_")
    candidates = [p for p in (elf.parent / "deps").glob(f"{crate}-*") if "." not in p.name]
    st = elf.stat()
    for p in candidates:
        if p.stat().st_ino == st.st_ino and p.stat().st_dev == st.st_dev:
            return p
    data = elf.read_bytes()
    for p in candidates:
        if p.stat().st_size == st.st_size and p.read_bytes() == data:
            return p
    raise SystemExit(f"footprint: no deps/{crate}-* file is {elf}: rebuild it")


def map_sections(map_path):
    """{output section: size} from the map's top-level lines."""
    out = {}
    for line in map_path.read_text().splitlines():
        m = re.match(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\.\S+)$", line)
        if m:
            out[m[2]] = out.get(m[2], 0) + int(m[1], 16)
    return out


def map_of(elf, secs, board, target=TARGET):
    """The linker map of the build that produced `elf`: the one naming the image's own object files
    (deps/<crate>-<hash>.<cgu>.o), checked against the image's section sizes."""
    pkg = PACKAGES[board]
    deps = image_deps_file(elf)
    needle = f"/deps/{deps.name}."
    maps = [
        m
        for m in (target / TRIPLES[board] / "release" / "build").glob(f"{pkg}-*/out/{pkg}.map")
        if needle in m.read_text()
    ]
    if len(maps) != 1:
        raise SystemExit(f"footprint: {len(maps)} linker maps name {deps.name}'s objects (want 1): rebuild {elf}")
    in_map = map_sections(maps[0])
    for name in (".vector_table", ".text", ".rodata", ".data", ".bss"):
        if in_map.get(name, 0) != secs.get(name, (0,))[0]:
            raise SystemExit(
                f"footprint: {maps[0]} says {name} is {in_map.get(name, 0)} B, {elf} has {secs.get(name, (0,))[0]} B: "
                "not the same build"
            )
    return maps[0]


def report(board, target=TARGET, label=None):
    elf = target / TRIPLES[board] / "release" / PACKAGES[board]
    secs = elf_sections(elf)
    size = lambda n: secs.get(n, (0,))[0]  # noqa: E731
    attribution = map_attribution(map_of(elf, secs, board, target))
    tls = any(attribution.get(".text", {}).get(g) for g, _ in GROUPS if g.startswith("TLS"))
    if tls and label is None:
        label = f"{board} (feature tls)"
    flash = {k: v for k, v in attribution.items() if k in (".vector_table", ".text", ".rodata")}
    groups = {}
    for per in flash.values():
        for g, n in per.items():
            groups[g] = groups.get(g, 0) + n
    return {
        "board": label or board,
        "sections": {
            "vector_table": size(".vector_table"),
            "text": size(".text"),
            "rodata": size(".rodata"),
            "data": size(".data"),
            "bss": size(".bss"),
            "uninit": size(".uninit"),
        },
        "text_by_group": attribution.get(".text", {}),
        "rodata_by_group": attribution.get(".rodata", {}),
        "bss_by_group": attribution.get(".bss", {}),
        "flash_by_group": groups,
    }


def render(r):
    s = r["sections"]
    lines = [
        f"{r['board']}: .text {s['text']} B, .rodata {s['rodata']} B, .vector_table {s['vector_table']} B, "
        f".data {s['data']} B, .bss {s['bss']} B",
        f"  {'by crate (linker map)':<46} {'.text':>7} {'share':>6} {'.rodata':>8} {'.bss':>7}",
    ]
    names = [g for g, _ in GROUPS] + [OTHER]
    for g in names:
        t, ro, b = (r[k].get(g, 0) for k in ("text_by_group", "rodata_by_group", "bss_by_group"))
        if t or ro or b:
            share = f"{100 * t / s['text']:.1f}%" if s["text"] else "-"
            lines.append(f"  {g:<46} {t:>7} {share:>6} {ro:>8} {b:>7}")
    core = r["text_by_group"].get(GROUPS[0][0], 0)
    net = r["text_by_group"].get(GROUPS[2][0], 0)
    if core and net:
        lines.append(f"  carbon-pickle / network stack (.text): {core / net:.3f}")
    if "stack" in r:
        static = s["data"] + s["bss"] + s["uninit"]
        need = static + r["stack"]
        lines.append(
            f"  RAM: {static} B static (.data + .bss) + {r['stack']} B stack high-water = {need} B "
            f"of the board's {RAM // 1024} KiB ({100 * need / RAM:.1f}%)"
        )
    return "\n".join(lines)


def flash_ram(r):
    s = r["sections"]
    return s["vector_table"] + s["text"] + s["rodata"] + s["data"], s["data"] + s["bss"] + s["uninit"]


def render_side_by_side(reports):
    """Flash (vector table, code, constants, .data's initial values) and static RAM (.data, .bss) per image."""
    lines = [f"  {'image':<26} {'Flash':>8} {'RAM':>7}   (Flash: .vector_table + .text + .rodata + .data; RAM: .data + .bss)"]
    for r in reports:
        flash, ram = flash_ram(r)
        lines.append(f"  {r['board']:<26} {flash:>8} {ram:>7}")
    return "Flash and static RAM (stack not included):\n" + "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", action="append", choices=TRIPLES)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-tls", action="store_true", help="only the plain images")
    ap.add_argument("--stack-report", type=Path, help="run_tests.py --report output: adds the stack high-water")
    args = ap.parse_args()
    stacks = json.loads(args.stack_report.read_text()) if args.stack_report and args.stack_report.exists() else {}
    reports = []
    for b in args.board or TRIPLES:
        reports.append(report(b))
        # run_tests.py measured the stack of the plain image (its TLS images are under target/tls).
        if b in stacks and "program_stack" in stacks[b] and reports[-1]["board"] == b:
            reports[-1]["stack"] = stacks[b]["program_stack"]
    tls_target = TARGET / "tls"
    for b in [] if args.no_tls else args.board or TRIPLES:
        if (tls_target / TRIPLES[b] / "release" / PACKAGES[b]).exists():
            reports.append(report(b, tls_target, f"{b} (feature tls)"))
            if f"{b}-tls" in stacks and "program_stack" in stacks[f"{b}-tls"]:
                reports[-1]["stack"] = stacks[f"{b}-tls"]["program_stack"]
    if args.json:
        for r in reports:
            r["flash"], r["ram"] = flash_ram(r)
        print(json.dumps(reports, indent=2))
    else:
        print("\n\n".join([*(render(r) for r in reports), render_side_by_side(reports)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
