"""What the stack's processes cost, read from /proc (Linux only).

CPU: utime + stime of every process under supervisord (its children and their
descendants: PostgreSQL's backends, Erlang's helpers), summed; the difference between
two readings is what the stack spent in between. Memory: VmRSS of the gateway
processes, whose pids supervisorctl gives."""
from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
SUPERVISOR_CONF = REPO / "var" / "etc" / "supervisor" / "supervisord.conf"
SUPERVISORCTL = REPO / ".venv" / "bin" / "supervisorctl"
TICKS = os.sysconf("SC_CLK_TCK")


def supervisor_pid(program: str | None = None) -> int | None:
    """The pid of a supervisord program, or of supervisord itself (None: not running)."""
    args = [str(SUPERVISORCTL), "-c", str(SUPERVISOR_CONF), "pid"]
    if program:
        args.append(program)
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return int(out) if out.isdigit() and int(out) > 0 else None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces
    return [str(pid), raw[raw.index("(") + 1:raw.rindex(")")]] + raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    fields = _stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) / TICKS if fields else 0.0


def supervisor_programs() -> dict[int, str]:
    """pid → name of every running supervisord program."""
    args = [str(SUPERVISORCTL), "-c", str(SUPERVISOR_CONF), "status"]
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    found = {}
    for line in out.splitlines():
        parts = line.split()   # name RUNNING pid 123, uptime 0:01:02
        if len(parts) >= 4 and parts[1] == "RUNNING" and parts[2] == "pid":
            found[int(parts[3].rstrip(","))] = parts[0]
    return found


def process_tree() -> dict[int, list[int]]:
    """pid → its children, for every process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[3]), []).append(int(entry.name))
    return children


def descendants(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """Every process below ``root`` (not root itself)."""
    children = process_tree() if children is None else children
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def open_files_limit(pid: int) -> tuple[int, int] | None:
    """(soft, hard) "Max open files" of a process."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return (int(soft) if soft.isdigit() else -1, int(hard) if hard.isdigit() else -1)
    except OSError:
        pass
    return None


def raise_own_open_files() -> int:
    """Raise this process's RLIMIT_NOFILE soft limit to its hard limit; the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StackProbe:
    """Readings of the stack's CPU and the gateways' memory, taken as a run goes.

    ``roots``: the processes whose trees make the server under test (default: Parley's
    supervisord, itself not counted). A peer started by the bench (Synapse and its
    PostgreSQL) passes its own, so that each side is charged for its own processes."""

    def __init__(self, gateways: list[str], roots: Callable[[], list[int]] | None = None):
        self.root = supervisor_pid()
        self.roots = roots
        self.gateways = {name: supervisor_pid(name) for name in gateways}

    def available(self) -> bool:
        return self.root is not None or self.roots is not None

    def stack_cpu(self) -> float:
        """CPU seconds used so far by every live process of the server. A process
        that ended in between drops out (its time is lost to the difference), so a
        run whose processes restart is flagged by the caller, not corrected."""
        if self.roots is not None:
            pids = [p for root in self.roots() for p in [root] + descendants(root)]
        else:
            pids = descendants(self.root) if self.root else []
        return sum(cpu_seconds(pid) for pid in pids)

    def cpu_by_process(self) -> dict[str, float]:
        """CPU seconds so far of each program of the server (with its children): each
        supervisord program of Parley, or each root process of a peer."""
        if self.roots is not None:
            names = {root: _stat_fields(root)[1] if _stat_fields(root) else str(root)
                     for root in self.roots()}
        else:
            names = supervisor_programs()
        tree = process_tree()
        return {name: sum(cpu_seconds(pid) for pid in [root] + descendants(root, tree))
                for root, name in names.items()}

    def gateway_rss(self) -> dict[str, int]:
        """Parley: each gateway's. A peer: each of its root processes' (Synapse holds
        every client connection itself)."""
        if self.roots is not None:
            return {(_stat_fields(pid) or [str(pid), str(pid)])[1]: rss_bytes(pid)
                    for pid in self.roots()}
        return {name: rss_bytes(pid) for name, pid in self.gateways.items() if pid}

    def reading(self) -> dict:
        return {"stack_cpu_s": self.stack_cpu(), "own_cpu_s": own_cpu_seconds(),
                "gateway_rss": self.gateway_rss(), "by_process": self.cpu_by_process()}
