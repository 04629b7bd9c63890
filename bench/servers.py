"""Start a server pinned to one core, time it to its first 200, read its RSS and CPU time, stop
it."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
SERVER_CORE = "0"
_UVICORN = ["-m", "uvicorn", "--http", "httptools", "--loop", "uvloop", "--host", "127.0.0.1"]


SMOKE_PATH = "/api/v1/smoke-test"
LOGGED = "-logged"  # the suffix of a contender's name with access lines written


@dataclass(frozen=True)
class ServerSpec:
    """How to run one contender: its command line and the variables added to the environment."""

    name: str
    label: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    smoke_path: str = SMOKE_PATH


def contenders(
    petsage_bin: Path, python_peer: Path, extra: dict[str, dict[str, str]] | None = None
) -> list[ServerSpec]:
    """Each contender in two logging states, on the same uvicorn, httptools and uvloop.

    Quiet: PetSage as ``make run`` serves it (no line for a successful probe, so none for the
    smoke test), the peers with ``--no-access-log``. Logged: a line per request from all three
    (``PETSAGE_LOG_PROBES=true``; uvicorn's default access log). ``extra`` adds PetSage variants,
    name to variables (``--variant``), in the quiet state.
    """
    peers = str(ROOT / "bench" / "peers")
    fastapi = (str(python_peer), *_UVICORN, "--app-dir", peers, "fastapi_peer:app")
    raw = (str(python_peer), *_UVICORN, "--lifespan", "off", "--app-dir", peers, "raw_asgi:app")
    petsage = (str(petsage_bin), "serve")
    return [
        ServerSpec("petsage", "PetSage (Connexion)", petsage),
        ServerSpec("fastapi", "FastAPI peer", (*fastapi, "--no-access-log")),
        ServerSpec("raw", "raw ASGI", (*raw, "--no-access-log")),
        *[
            ServerSpec(f"petsage-{name}", f"PetSage, {name}", petsage, tuple(env.items()))
            for name, env in (extra or {}).items()
        ],
        ServerSpec(
            "petsage" + LOGGED, "PetSage (Connexion)", petsage, (("PETSAGE_LOG_PROBES", "true"),)
        ),
        ServerSpec("fastapi" + LOGGED, "FastAPI peer", fastapi),
        ServerSpec("raw" + LOGGED, "raw ASGI", raw),
    ]


def commit() -> str:
    """What is measured: HEAD's short hash, with ``+dirty`` when the tree differs from it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT).returncode
    return head + ("+dirty" if dirty else "")


def write_results(out: Path, stem: str, result: dict[str, object], text: str) -> None:
    """``result`` as ``out/stem.json`` and ``text`` as ``out/stem.md``; ``text`` printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{stem}.md").write_text(text)
    print(text)


@contextlib.contextmanager
def source_tree(ref: str) -> Iterator[Path]:
    """PetSage's package and contract as of the git ``ref``, in a temporary directory: put on
    ``PYTHONPATH``, ``bench/.venv-service``'s ``petsage`` serves that version (its
    dependencies as installed), a contender measured beside the working tree in the same rounds."""
    archive = subprocess.run(
        ["git", "archive", ref, "petsage", "openapi"], capture_output=True, check=True, cwd=ROOT
    ).stdout
    with tempfile.TemporaryDirectory(prefix="petsage-baseline-") as directory:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(directory, filter="data")
        yield Path(directory)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_status(port: int, path: str, timeout: float = 2.0) -> int:
    """The status of ``GET path`` on the loopback port (raises OSError when nothing answers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    start_seconds: float

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far (``/proc/PID/stat``)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """Resident set size now (VmRSS), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.spec.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start(spec: ServerSpec, port: int, log_path: Path, timeout: float = 30.0) -> RunningServer:
    """Start ``spec`` on ``port`` pinned to the server core; return once its smoke test answers
    200, with the time from process start to that first 200."""
    argv = ["taskset", "-c", SERVER_CORE, *spec.argv, "--port", str(port)]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, **dict(spec.env)},
        )
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {process.returncode}, see {log_path}")
        try:
            if get_status(port, spec.smoke_path) == 200:
                return RunningServer(spec, port, process, time.perf_counter() - started)
        except OSError:
            pass
        time.sleep(0.005)
    process.kill()
    raise TimeoutError(f"{spec.name} did not answer 200 within {timeout} s, see {log_path}")
