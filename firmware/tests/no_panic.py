#!/usr/bin/env python3
"""No panics in the send path: every function of carbon-sender and carbon-pickle in a release image, as the
linker left it (after fat LTO and inlining), must not branch to a panic.

    no_panic.py ELF...

Disassembles each image (llvm-objdump), and for every function whose (mangled) name is carbon_sender's or
carbon_pickle's lists the panic entry points it calls or jumps to: core::panicking::*, the slice index
failures, unwrap/expect failures, RefCell borrow failures. Exits 1 if any is left but these two, each
unreachable for a stated reason:

- `panic_const_async_fn_resumed`: the compiler puts it in every async fn's state machine, for a future
  polled again after it completed; executors never do that.
- `core::cell::panic_already_borrowed` in `AsyncSender`'s methods: its state is a `RefCell` inside a blocking
  mutex, borrowed only in `AsyncSender::with`, whose closures never call back into the sender (each is a
  leaf: queue and counter work), and the mutex keeps interrupts and other executors out.

What the optimizer inlined into a caller counts for the caller's crate: a bounds check of the sender's that
was inlined into a network-stack function would not be seen here; `footprint.py` names the same symbols.
"""

import re
import subprocess
import sys

PANIC = re.compile(
    r"core::panicking::|panic_bounds_check|slice_index_fail|slice_start_index|slice_end_index|"
    r"unwrap_failed|expect_failed|panic_already_borrowed|panic_already_mutably_borrowed|"
    r"rust_begin_unwind|\bpanic\b|panic_fmt"
)
OURS = re.compile(r"carbon_sender|carbon_pickle")
ALLOWED = [
    (re.compile(r"."), re.compile(r"panic_const_async_fn_resumed")),
    (re.compile(r"carbon_sender.*AsyncSender"), re.compile(r"core::cell::panic_already_borrowed")),
]
HEADER = re.compile(r"^[0-9a-f]+ <(.+)>:$")
TARGET = re.compile(r"<([^>+]+)(?:\+0x[0-9a-f]+)?>")


def calls(elf):
    """{function: {symbols it branches to}}, from the disassembly (names demangled by llvm-objdump)."""
    out = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn", "-C", elf], check=True,
                         capture_output=True, text=True).stdout
    funcs, current = {}, None
    for line in out.splitlines():
        if m := HEADER.match(line):
            current = m[1]
            funcs[current] = set()
        elif current is not None and (m := TARGET.search(line)) and m[1] != current:
            funcs[current].add(m[1])
    return funcs


def violations(elf):
    found = []
    for func, targets in calls(elf).items():
        if not OURS.search(func):
            continue
        for t in sorted(targets):
            if PANIC.search(t) and not any(f.search(func) and p.search(t) for f, p in ALLOWED):
                found.append((func, t))
    return found


def main(elfs):
    bad = 0
    for elf in elfs:
        found = violations(elf)
        checked = sum(1 for f in calls(elf) if OURS.search(f))
        print(f"{elf}: {checked} carbon-sender/carbon-pickle functions, {len(found)} calling a panic")
        for func, target in found:
            print(f"  {func} -> {target}")
        bad += len(found)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
