"""A small process supervisor: start commands, restart any that dies, stop them all on a signal.

`manage.py run_workers` runs the Celery workers under it, so `make run` keeps a
worker that crashed (or was killed) serving runs. A command that keeps dying is
restarted after a growing pause (1 s, doubling up to 30 s; back to 1 s once it
has lived a minute), so a broken install does not spin. On SIGINT or SIGTERM
each child gets SIGTERM (Celery's warm shutdown), then SIGQUIT after `grace`
seconds (cold shutdown: the runs in flight stop and the sweep fails them), then
SIGKILL. The children stay in our process group, so a Ctrl-C at the terminal
reaches them too (Celery starts its warm shutdown at once) and a kill of the
group takes them with us.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from types import FrameType

log = logging.getLogger(__name__)

FIRST_PAUSE, LONGEST_PAUSE, STABLE_SECONDS = 1.0, 30.0, 60.0


class Supervisor:
    def __init__(self, commands: Mapping[str, Sequence[str]], grace: float = 5.0) -> None:
        self.commands = dict(commands)
        self.grace = grace
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, float] = {}
        self.pause = dict.fromkeys(self.commands, FIRST_PAUSE)
        self.restart_at: dict[str, float] = {}
        self.restarts = 0
        self.stopping = False

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name])
        self.started[name] = time.monotonic()
        log.info("started %s (pid %s)", name, self.procs[name].pid)

    def stop(self, signum: int, frame: FrameType | None = None) -> None:
        self.stopping = True

    def check(self) -> None:
        """Restart the children that died, each after its pause."""
        now = time.monotonic()
        for name, proc in self.procs.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self.restarts += 1
                    self.start(name)
                continue
            code = proc.poll()
            if code is None:
                continue
            if now - self.started[name] > STABLE_SECONDS:
                self.pause[name] = FIRST_PAUSE
            pause = self.pause[name]
            self.pause[name] = min(pause * 2, LONGEST_PAUSE)
            log.warning("%s exited with code %s; restarting it in %g s", name, code, pause)
            self.restart_at[name] = now + pause

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.stop)
        for name in self.commands:
            self.start(name)
        while not self.stopping:
            self.check()
            time.sleep(0.2)
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        live = [p for p in self.procs.values() if p.poll() is None]
        for signum, wait in ((signal.SIGTERM, self.grace), (signal.SIGQUIT, 5.0)):
            for proc in live:
                proc.send_signal(signum)
            deadline = time.monotonic() + wait
            while live and time.monotonic() < deadline:
                live = [p for p in live if p.poll() is None]
                time.sleep(0.1)
        for proc in live:
            proc.kill()
            proc.wait(5)
