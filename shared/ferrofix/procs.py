"""Child process trees that die with ferrofix, however ferrofix ends.

Every cargo run starts in a process group of its own (POSIX: a new session), so that a time limit or a
cancellation kills the whole tree at once: cargo, rustc and build scripts. Such a group outlives its
parent when the parent is ended by a signal's default action (`timeout`'s SIGTERM, SIGKILL, a crash):
no `finally` runs then. So the first tracked child also starts a **guardian**, a small process
(`python -m ferrofix.guardian`) in a session of its own that reads a pipe from this process.
`popen_group` writes `+PGID` to it as a group starts and `release`/`kill_group` write `-PGID` as it
ends; when the pipe closes — this process is gone, by any path — the guardian SIGKILLs every group
still listed, and exits. One guardian per ferrofix process, started once (~30 ms, ~10 MB).

On Windows each child is assigned to a job object created with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`:
the kernel closes ferrofix's handle to the job when ferrofix dies, which ends every process in it.
(That path follows the Win32 documentation of `SetInformationJobObject`; it is not tested here.)

`kill_all()` kills every tracked group now: front ends call it on their way out (the language server's
`exit`, a closed stdin), so that worker threads waiting on cargo return at once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Sequence

log = logging.getLogger(__name__)

_lock = threading.Lock()
_live: dict[int, subprocess.Popen] = {}
_guardian: subprocess.Popen | None = None
_job: Any = None  # Windows job handle


def _tell_guardian(line: str) -> None:
    """Send one `+PGID`/`-PGID` line to the guardian, starting it first when needed (call under _lock)."""
    global _guardian
    if os.name != "posix":
        return
    if _guardian is None or _guardian.poll() is not None:
        try:
            _guardian = subprocess.Popen(
                [sys.executable, "-m", "ferrofix.guardian", str(os.getpid())], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError as e:
            log.warning("no guardian process (child processes may outlive ferrofix): %s", e)
            _guardian = None
            return
        for pgid in _live:  # a restarted guardian learns the groups already running
            _write(f"+{pgid}\n")
    _write(line)


def _write(line: str) -> None:
    try:
        assert _guardian is not None and _guardian.stdin is not None
        _guardian.stdin.write(line.encode())
        _guardian.stdin.flush()
    except (OSError, ValueError, AssertionError) as e:
        log.warning("guardian unreachable: %s", e)


def popen_group(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """`subprocess.Popen(argv, **kwargs)` in a process group of its own, tracked until `release` or
    `kill_group`: killed with this process, whatever ends it. Raises what Popen raises (OSError,
    FileNotFoundError)."""
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = kwargs.get("creationflags", 0) | subprocess.CREATE_NEW_PROCESS_GROUP
    proc = subprocess.Popen(list(argv), **kwargs)
    with _lock:
        _live[proc.pid] = proc
        if os.name == "posix":
            _tell_guardian(f"+{proc.pid}\n")
        else:
            _assign_to_job(proc)
    return proc


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL `proc`'s whole process group (the process tree on Windows) and stop tracking it."""
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
    release(proc)


def release(proc: subprocess.Popen) -> None:
    """Stop tracking `proc` (it has ended, or was killed)."""
    with _lock:
        if _live.pop(proc.pid, None) is not None and os.name == "posix" and _guardian is not None:
            _write(f"-{proc.pid}\n")


def kill_all() -> int:
    """Kill every tracked process group now; returns how many there were."""
    with _lock:
        procs = list(_live.values())
    for p in procs:
        kill_group(p)
    return len(procs)


def live() -> list[int]:
    """The process ids (= group ids on POSIX) of the tracked groups."""
    with _lock:
        return list(_live)


def _assign_to_job(proc: subprocess.Popen) -> None:  # pragma: no cover - Windows only
    """Put `proc` into this process's kill-on-close job object (created on first use)."""
    global _job
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    if _job is None:
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            log.warning("CreateJobObject failed: %s", ctypes.get_last_error())
            return

        class BasicLimits(ctypes.Structure):
            _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                        ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                        ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                        ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                        ("SchedulingClass", wintypes.DWORD)]

        class IoCounters(ctypes.Structure):
            _fields_ = [(n, ctypes.c_uint64) for n in ("ReadOperationCount", "WriteOperationCount",
                                                        "OtherOperationCount", "ReadTransferCount",
                                                        "WriteTransferCount", "OtherTransferCount")]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
                        ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                        ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

        info = ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(job, 9, ctypes.byref(info), ctypes.sizeof(info)):  # Extended
            log.warning("SetInformationJobObject failed: %s", ctypes.get_last_error())
            return
        _job = job
    handle = getattr(proc, "_handle", None)
    if handle is None or not kernel32.AssignProcessToJobObject(_job, int(handle)):
        log.warning("AssignProcessToJobObject failed: %s", ctypes.get_last_error())
