"""Values the command line refuses with one line: non-finite numbers, an empty or unwritable
output folder, a scheduler address that is not one, and a service that is not Dask."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliguard import cli, one_line, time_limit

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny.geojson"
TINY_YAML = FIXTURES / "tiny.yaml"
TINY_STUDY = FIXTURES / "tiny-study.yaml"


@pytest.fixture(autouse=True)
def _bounded() -> Iterator[None]:
    """Each test ends within 60 s, whatever hangs."""
    with time_limit(60):
        yield


@pytest.mark.parametrize("flag", ["--max-overlap", "--tonnes-per-wagon", "--value-of-time"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_routes_refuses_non_finite_numbers(flag: str, value: str) -> None:
    result = cli("routes", TINY, "--from", "XA-ORIGIN", "--to", "XC-DEST", flag, value, "--json")
    line = one_line(result, 2)
    # Either corridorsim's own check or click's range check (inf above 1, -inf below 0).
    assert line.startswith(f"{flag}: must be a finite number") or (
        line.startswith(f"{flag}: ") and "is not in the range" in line
    ), line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["routes", str(TINY), "--from", "A", "--to", "B", "-k", "0"], "-k: 0 is not in the range"),
        (["routes", str(TINY), "--nope"], "No such option '--nope'"),
        (["run"], "Missing argument 'SCENARIO'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["run", str(TINY_YAML), "--jobs", "many"], "--jobs: 'many' is not a valid integer"),
    ],
)
def test_usage_errors_are_one_line_too(args: list[str], expected: str) -> None:
    """What click itself refuses reads like every other bad input: one line, exit 2."""
    line = one_line(cli(*args), 2)
    assert line.startswith(expected), line
    assert line.endswith("--help)")


def test_routes_json_is_strict_json() -> None:
    result = cli("routes", TINY, "--from", "XA-ORIGIN", "--to", "XC-DEST", "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in --json"))


@pytest.mark.parametrize("command", ["run", "compare"])
def test_empty_output_folder_exits_2(command: str) -> None:
    files = [TINY_YAML] if command == "run" else [TINY_YAML, TINY_YAML]
    result = cli(command, *files, "-r", "2", "--jobs", "1", "-o", "", "--quiet")
    assert one_line(result, 2) == "-o: an empty folder name"


def test_sweep_empty_output_folder_exits_2() -> None:
    result = cli("sweep", TINY_STUDY, "-o", "", "--jobs", "1", "--quiet")
    assert one_line(result, 2) == "-o: an empty folder name"


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_output_folder_under_a_file_exits_2(command: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "sub"
    files = {"run": [TINY_YAML], "compare": [TINY_YAML, TINY_YAML], "sweep": [TINY_STUDY]}
    extra = [] if command == "sweep" else ["-r", "2"]
    result = cli(command, *files[command], *extra, "--jobs", "1", "-o", out, "--quiet")
    line = one_line(result, 2)
    assert line.startswith("-o: ") and str(out) in line


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_output_folder_not_writable_exits_2(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    real_access = os.access
    # Root writes anywhere: say the folder and its parent are read-only, as for a user.
    def access(path: object, mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and Path(str(path)) in (out, tmp_path):
            return False
        return real_access(str(path), mode)

    monkeypatch.setattr(os, "access", access)
    files = {"run": [TINY_YAML], "compare": [TINY_YAML, TINY_YAML], "sweep": [TINY_STUDY]}
    extra = [] if command == "sweep" else ["-r", "2"]
    result = cli(command, *files[command], *extra, "--jobs", "1", "-o", out, "--quiet")
    line = one_line(result, 2)
    assert "permission denied" in line and str(tmp_path) in line


def test_network_plot_into_a_missing_folder_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "map.png"
    line = one_line(cli("network", "plot", TINY, "-o", target), 2)
    assert line.startswith("-o: ") and "does not exist" in line
    (tmp_path / "f").write_text("x")
    line = one_line(cli("network", "plot", TINY, "-o", tmp_path / "f" / "map.png"), 2)
    assert line.startswith("-o: ") and "is not a folder" in line


def test_network_plot_into_a_folder_not_writable_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and Path(str(path)) == tmp_path:
            return False
        return real_access(str(path), mode)

    monkeypatch.setattr(os, "access", access)
    line = one_line(cli("network", "plot", TINY, "-o", tmp_path / "map.png"), 2)
    assert line == f"-o: {tmp_path / 'map.png'}: cannot write in {tmp_path}: permission denied"


def test_network_plot_write_failure_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from corridorsim import _files

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_files, "write_bytes_atomic", full)
    target = tmp_path / "map.png"
    line = one_line(cli("network", "plot", TINY, "-o", target), 1)
    assert line == f"error: cannot write {target}: No space left on device"
    assert not target.exists()


# --- --scheduler ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["not a scheduler", "tcp://127.0.0.1:abc", "xyz://host:1", "tcp://:8786",
                "tcp://host", "tcp://host:99999"]
)
def test_malformed_scheduler_exits_2(address: str, tmp_path: Path) -> None:
    result = cli("sweep", TINY_STUDY, "-o", tmp_path / "out", "--executor", "dask",
                 "--scheduler", address, "--quiet")
    line = one_line(result, 2)
    assert line.startswith("--scheduler: ") and address in line
    assert not (tmp_path / "out").exists()  # bad input leaves nothing behind


#: What a service that is not Dask sends first: noise, a length of a terabyte, or a small
#: length and then nothing more.
GARBAGE = {
    "noise": b"\xff" * 64 + b"HTTP/1.0 400 Bad Request\r\n\r\n",
    "a terabyte": struct.pack("<Q", 1 << 40) + b"x" * 64,
    "a stall": struct.pack("<Q", 1000) + b"x" * 10,
}


def _garbage_server(payload: bytes) -> tuple[socket.socket, threading.Event, threading.Thread]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.sendall(payload)
                    stop.wait(5)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, stop, thread


@pytest.mark.parametrize("sends", list(GARBAGE))
def test_a_service_that_is_not_dask_fails_in_bounded_time(
    sends: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    from corridorsim.experiment import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 2)
    server, stop, thread = _garbage_server(GARBAGE[sends])
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        result = cli("sweep", TINY_STUDY, "-o", tmp_path / "out", "--executor", "dask",
                     "--scheduler", f"tcp://127.0.0.1:{port}", "--quiet")
        took = time.monotonic() - started
    finally:
        stop.set()
        thread.join(5)
        server.close()
    line = one_line(result, 1)
    assert line.startswith(f"error: scheduler tcp://127.0.0.1:{port}: cannot connect")
    assert took < 15
