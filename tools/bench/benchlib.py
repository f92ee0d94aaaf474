"""What tools/bench/compare and tools/bench/platforms share: the micro
benchmarks and their iteration counts, how a program is run under a runtime,
how its one-line results are read, and how figures are printed.

See tools/bench/README.md.
"""

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GVISOR = "/usr/bin/runsc"
GVISOR_FLAGS = ["--network=none", "--platform=ptrace"]

# micro benchmark -> (iterations in a sandbox, iterations natively). A
# sandboxed run is sized for about 0.2-0.3 s under gVisor-ptrace (~40x native
# per syscall on this host, ~12x for fork); native runs do more of the same
# operation so that their time is well above clock noise. ns/op does not
# depend on the count.
MICRO = {
    "getpid":              (5000, 50000),
    "clock_gettime":       (5000, 500000),
    "open_close":          (2000, 20000),
    "stat":                (3000, 30000),
    "pread_4k":            (3000, 30000),
    "fork_exit_wait":      (40, 200),
    "pthread_create_join": (300, 3000),
    "pipe_pingpong":       (600, 10000),
    "mmap_touch_256":      (50, 50),
    "write_1m":            (300, 3000),
}

GIVE_UP_AFTER = 2   # time-outs before a runtime is no longer tried


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def find_or_build(build, name, static, tool="bench"):
    """Return the path of a bench binary: the build tree's, else a fresh one.

    Compiling on the fly lets native and gVisor figures be measured before
    Amber builds.
    """
    path = os.path.join(build, "tools", "bench", name)
    if os.access(path, os.X_OK):
        return path
    outdir = tempfile.mkdtemp(prefix="amber-bench-")
    atexit.register(shutil.rmtree, outdir, ignore_errors=True)
    out = os.path.join(outdir, name)
    cmd = ["cc", "-O2", "-std=gnu17", "-Wall", "-pthread", "-o", out,
           os.path.join(HERE, name + ".c")]
    if static:
        cmd.append("-static")
    log(f"{tool}: {path} not built; compiling {out}")
    subprocess.run(cmd, check=True)
    return out


class Runtime:
    """One way of running a program: native, or a sandbox's argv prefix."""

    def __init__(self, name, prefix, missing=None):
        self.name = name
        self.prefix = prefix          # argv before the program
        self.missing = missing        # reason it cannot run at all ("n/a")
        self.timeouts = 0
        self.first_error = None
        self.errors = {}              # benchmark -> its first error

    def usable(self):
        return self.missing is None and self.timeouts < GIVE_UP_AFTER

    def note_error(self, what, bench=None):
        if self.first_error is None:
            self.first_error = what
        if bench is not None:
            self.errors.setdefault(bench, what)


def run(rt, argv, timeout):
    """Run argv under rt; return (stdout, None) or (None, error text).

    stdout is always a pipe: gVisor's `do` writes a regular-file stdout from
    offset 0, over whatever was there. stdin is /dev/null. The run gets its own
    process group, killed as a whole on a time-out.
    """
    proc = subprocess.Popen(rt.prefix + argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        rt.timeouts += 1
        return None, f"timed out after {timeout:g} s"
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        tail = lines[-1] if lines else ""
        return None, f"exit status {proc.returncode}: {tail}"
    return out.decode(errors="replace"), None


def probe(rt, timeout):
    """Mark rt missing when it cannot even run /bin/true (a refused flag or
    platform); the reason is its last line of stderr."""
    if rt.missing or not rt.prefix:
        return
    _, err = run(rt, ["/bin/true"], timeout)
    if err:
        rt.missing = f"`{' '.join(rt.prefix)} /bin/true` failed: {err}"


def parse_line(out, name):
    """The value of the line "NAME VALUE" in out, or None."""
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            try:
                return float(parts[1])
            except ValueError:
                return None
    return None


def run_one(rt, argv, name, timeout):
    """Run a bench program printing "NAME VALUE"; VALUE, or None on failure
    (noted as rt's first error when it is one)."""
    out, err = run(rt, argv, timeout)
    if err:
        rt.note_error(f"{name}: {err}", name)
        return None
    v = parse_line(out, name)
    if v is None:
        rt.note_error(f"{name}: unexpected output {out.strip()[:80]!r}", name)
    return v


def run_micro(rt, micro, bench, scale, timeout):
    """ns/op of one micro benchmark under rt, or None."""
    sandbox_iters, native_iters = MICRO[bench]
    iters = native_iters if not rt.prefix else sandbox_iters
    iters = max(1, int(iters * scale))
    return run_one(rt, [micro, bench, str(iters)], bench, timeout)


def run_floor(floor, args, timeout):
    """{mechanism: ns or None} from one native run of floor with args."""
    try:
        r = subprocess.run([floor, *args], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {}
    res = {}
    for line in r.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        try:
            res[parts[0]] = float(parts[1])
        except ValueError:
            res[parts[0]] = None        # "fail" or "n/a"
    return res


def fmt_ns(v):
    if v is None:
        return "fail"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} us"
    return f"{v:.0f} ns"


def summarize(samples, stat):
    """(stat of the successful samples, '*' when some runs failed), or
    (None, '') when all failed."""
    ok = [s for s in samples if s is not None]
    if not ok:
        return None, ""
    return stat(ok), ("*" if len(ok) < len(samples) else "")


def print_rows(head, rows):
    """Print a table: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(head))
    for r in rows:
        print(line(r))
