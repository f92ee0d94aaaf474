#!/usr/bin/env python3
"""Generate the integration tests' input files into OUTDIR, deterministically.

usage: make_fixtures.py OUTDIR

Nothing large is committed: the files are made here at test time (a ctest
fixture), the same bytes on every run:
  text.txt            2000 lines of text (cat, wc)
  random-10m.bin      10 MiB of seeded pseudo-random bytes (sha256sum)
  words-1m.txt        1 MiB of lines of words in random order (sort, gzip)
  elf_tiny            a minimal static x86-64 ELF, no libc, that exits with 42
  elf32               a valid 32-bit i386 ELF that exits with 0 (the sandbox
                      must refuse it even where the host could run it)
  elf_foreign_arch    a 64-bit ELF for aarch64
  elf_truncated       elf_tiny cut inside its program header table
  elf_bad_phentsize   elf_tiny with e_phentsize 32
  elf_overlapping     elf_tiny with two PT_LOAD segments that overlap
  elf_missing_interp  elf_tiny with a PT_INTERP naming a file that does not exist
  not_elf             neither ELF nor #!, executable
  empty               an empty executable file
  shebang_echo        #!/bin/busybox echo
  shebang_python      #!/usr/bin/python3 script
  shebang_missing     #! naming an interpreter that does not exist
"""

import os
import random
import struct
import sys

VADDR = 0x400000


def elf64(code_for_entry, machine=62, phentsize=56, extra_phdrs=(), interp=None):
    """A static ELF64 with one PT_LOAD covering the file, plus extra phdrs.

    code_for_entry(entry) returns the code bytes. Layout: ehdr, phdrs, interp
    string, code."""
    nph = 1 + len(extra_phdrs) + (1 if interp else 0)
    phoff = 64
    interp_off = phoff + 56 * nph
    interp_bytes = interp.encode() + b"\0" if interp else b""
    code_off = interp_off + len(interp_bytes)
    entry = VADDR + code_off
    code = code_for_entry(entry)
    size = code_off + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, 0, 0, 64, phentsize, nph, 64, 0, 0)
    phdrs = []
    if interp:
        phdrs.append(struct.pack("<IIQQQQQQ", 3, 4, interp_off, VADDR + interp_off, VADDR + interp_off,
                                 len(interp_bytes), len(interp_bytes), 1))
    phdrs.append(struct.pack("<IIQQQQQQ", 1, 5, 0, VADDR, VADDR, size, size, 0x1000))
    phdrs.extend(extra_phdrs)
    return ehdr + b"".join(phdrs) + interp_bytes + code


def exit_code(status):
    # mov edi, status; mov eax, 60 (exit); syscall
    return lambda entry: b"\xbf" + struct.pack("<I", status) + b"\xb8\x3c\x00\x00\x00\x0f\x05"


def elf32_exit0():
    """i386: mov ebx, 0; mov eax, 1; int 0x80."""
    base = 0x8048000
    code = b"\xbb\x00\x00\x00\x00\xb8\x01\x00\x00\x00\xcd\x80"
    code_off = 52 + 32
    size = code_off + len(code)
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + code_off, 52, 0, 0, 52, 32, 1, 40, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 0, base, base, size, size, 5, 0x1000)
    return ehdr + phdr + code


def write(outdir, name, data, mode=0o644):
    path = os.path.join(outdir, name)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(20240101)

    write(outdir, "text.txt", "".join("line %05d: the quick brown fox jumps over %d lazy dogs\n" % (i, i * 7 % 1000)
                                      for i in range(2000)).encode())
    write(outdir, "random-10m.bin", rng.randbytes(10 * 1024 * 1024))
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(600)]
    lines, size = [], 0
    while size < 1024 * 1024:
        line = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8))) + "\n"
        lines.append(line)
        size += len(line)
    write(outdir, "words-1m.txt", "".join(lines).encode())

    x = 0o755
    tiny = elf64(exit_code(42))
    write(outdir, "elf_tiny", tiny, x)
    write(outdir, "elf32", elf32_exit0(), x)
    write(outdir, "elf_foreign_arch", elf64(exit_code(0), machine=183), x)
    write(outdir, "elf_truncated", tiny[:64 + 20], x)
    write(outdir, "elf_bad_phentsize", elf64(exit_code(0), phentsize=32), x)
    overlap = struct.pack("<IIQQQQQQ", 1, 4, 0x40, VADDR + 0x40, VADDR + 0x40, 0x40, 0x40, 0x1000)
    write(outdir, "elf_overlapping", elf64(exit_code(0), extra_phdrs=[overlap]), x)
    write(outdir, "elf_missing_interp", elf64(exit_code(0), interp="/nonexistent/amber-ld.so"), x)
    write(outdir, "not_elf", b"\x00\x01\x02 neither ELF nor a script\n", x)
    write(outdir, "empty", b"", x)
    write(outdir, "shebang_echo", b"#!/bin/busybox echo\n", x)
    write(outdir, "shebang_python", b"#!/usr/bin/python3\nimport sys\nprint('python script', sys.argv[1:])\n", x)
    write(outdir, "shebang_missing", b"#!/nonexistent/amber-interpreter\necho never\n", x)

    # Read the files the tests stat, so that a pending atime update happens
    # now and not between a test's native and sandboxed runs.
    for path in ("/etc/passwd", "/etc/group"):
        with open(path, "rb") as f:
            f.read()


if __name__ == "__main__":
    main()
