"""Runs as a graph: the one way every study, the demo and the S3DIS 6-fold driver start train / test / probe runs.

A `Run` is one python script and its arguments, started from the repository root in a subprocess with one OpenMP
thread (the measured default of this project), its output kept in a log. It waits for the runs it `needs`, and it
is skipped when one of them failed. A finished run leaves a done marker holding its command, so that a study that is
started again resumes where it stopped; a cached run whose marker records another command is refused by name
(its result was made by something else than what the driver now declares), never silently reused.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Run:
    """One command (a script and its arguments); `path` is its output folder or, for a result file, `<name>.json`.
    `echo` picks the output lines to show while it runs (each line it returns is printed), else only start / done."""

    path: str
    command: list[str]
    needs: list[Run] = field(default_factory=list)
    echo: Callable[[str], str | None] | None = None
    state: str = "waiting"  # waiting, running, done, failed

    @property
    def done_marker(self) -> str:
        return self.path + ".done" if self.path.endswith(".json") else os.path.join(self.path, "done")

    @property
    def log(self) -> str:
        return (
            self.path[: -len(".json")] + ".log" if self.path.endswith(".json") else os.path.join(self.path, "run.log")
        )

    @property
    def recorded_command(self) -> str:
        return shlex.join(self.command)


class RunGraph:
    """The runs of one driver, in the order declared. `root`: the working directory of every run (relative paths
    resolve there). `reuse=False` runs everything again even where a done marker exists (the demo times its phases)."""

    def __init__(self, root: str, threads: str = "1", reuse: bool = True):
        self.root, self.threads, self.reuse = root, threads, reuse
        self.runs: dict[str, Run] = {}

    def add(self, path: str, command: list[str], needs: list[Run] = (), echo=None) -> Run:
        """Declares a run (or returns the one already declared at `path`, which must have the same command)."""
        if path in self.runs:
            if self.runs[path].command != list(command):
                raise ValueError(
                    f"{path} is declared twice with different commands: {self.runs[path].recorded_command!r} and "
                    f"{shlex.join(command)!r}"
                )
            return self.runs[path]
        self.runs[path] = Run(path, list(command), list(needs), echo)
        return self.runs[path]

    def cached(self, run: Run) -> bool:
        """Whether `run` finished before with this command; a marker recording another command raises."""
        marker = os.path.join(self.root, run.done_marker)
        if not self.reuse or not os.path.isfile(marker):
            return False
        with open(marker) as f:
            recorded = f.read().strip()
        if recorded != run.recorded_command:
            raise ValueError(
                f"{run.path} was finished by another command: recorded {recorded!r}, declared "
                f"{run.recorded_command!r}; delete {run.path} to run it again, or use another output folder"
            )
        return True

    def list_runs(self) -> None:
        """Every declared run, its state (done / to run / refused) and its command, in the order `execute` takes."""
        for run in self.runs.values():
            try:
                state = "done" if self.cached(run) else "to run"
            except ValueError as refused:
                state, run_path = "refused", f"{run.path} ({refused})"
            else:
                run_path = run.path
            print(f"{state:7s} {run_path}: {run.recorded_command}")

    def execute(self, jobs: int = 1) -> list[Run]:
        """Runs every declared run not yet done, `jobs` at a time, each once its `needs` are done; returns the runs
        that failed or were skipped for a failed need. Every cached run is checked before anything starts."""
        for run in self.runs.values():
            if run.state == "waiting" and self.cached(run):
                run.state = "done"
        lock = threading.Condition()

        def next_run():
            with lock:
                while True:
                    for run in (r for r in self.runs.values() if r.state == "waiting"):
                        if any(n.state == "failed" for n in run.needs):
                            run.state = "failed"
                            print(f"skipped (a run it needs failed): {run.path}", flush=True)
                        elif all(n.state == "done" for n in run.needs):
                            run.state = "running"
                            return run
                    if not any(r.state == "waiting" for r in self.runs.values()):
                        return None
                    lock.wait()

        def worker():
            while (run := next_run()) is not None:
                state = "done" if self.launch(run) else "failed"
                with lock:
                    run.state = state
                    lock.notify_all()

        threads = [threading.Thread(target=worker) for _ in range(max(jobs, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [run for run in self.runs.values() if run.state == "failed"]

    def run_or_list(self, jobs: int = 1, dry_run: bool = False) -> None:
        """What a study driver does once its runs are declared: list them (`dry_run`) or run them, exiting with the
        failed ones named."""
        if dry_run:
            self.list_runs()
            return
        failed = self.execute(jobs)
        if failed:
            raise SystemExit(f"{len(failed)} runs failed or were skipped: " + ", ".join(run.path for run in failed))

    def launch(self, run: Run) -> bool:
        """Runs one command to its end, its output in `run.log`; writes the done marker on success."""
        log = os.path.join(self.root, run.log)
        os.makedirs(os.path.dirname(log), exist_ok=True)
        env = dict(os.environ, PYTHONPATH=self.root, OMP_NUM_THREADS=self.threads)
        if run.echo is None:
            print(f"start {run.path}", flush=True)
        command = [sys.executable, *run.command]
        with (
            open(log, "w") as f,
            subprocess.Popen(
                command, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ) as proc,
        ):
            for line in proc.stdout:
                f.write(line)
                if run.echo is not None and (shown := run.echo(line)) is not None:
                    print(shown, flush=True)
        if proc.returncode:
            print(f"FAILED ({proc.returncode}) {run.path}: {log}", flush=True)
            return False
        with open(os.path.join(self.root, run.done_marker), "w") as f:
            f.write(run.recorded_command + "\n")
        if run.echo is None:
            print(f"done  {run.path}", flush=True)
        return True
