"""scripts/local_services.py (`make run`, `make test` without DATABASE_URL / REDIS_URL) and
scripts/run_processes.py (`make run`'s processes), run for real: embedded PostgreSQL and Valkey
started from their wheels, the command run with their URLs, everything stopped afterwards.

Each test gives the supervisor a folder of its own (STRIKEOPS_LOCAL_DIR, inside the checkout's
ignored .local/), so that a developer's `make run` data is never touched. The URLs are removed from
the environment, so these tests start the embedded servers in CI too."""

from __future__ import annotations

import importlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

from tests.conftest import REPO

SUPERVISOR = REPO / "scripts" / "local_services.py"
URL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "TEST_REDIS_URL")

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def local_dir() -> Iterator[Path]:
    (REPO / ".local").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="pytest-", dir=REPO / ".local"))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def supervisor_env(local_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in URL_VARIABLES}
    return {**env, "STRIKEOPS_LOCAL_DIR": str(local_dir), **extra}


def supervise(mode: str, command: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SUPERVISOR), mode, "--", *command], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def ports_in(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"=\w+://[^ ]*127\.0\.0\.1:(\d+)", text)]


def script(name: str) -> ModuleType:
    """A module of scripts/ (not a package: each is run as a program)."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO / "scripts"))


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


WRITE = """
import os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
    db.execute("CREATE TABLE kept (note text)")
    db.execute("INSERT INTO kept VALUES ('from the first run')")
    print("server", db.execute("SHOW server_version").fetchone()[0])
redis.Redis.from_url(os.environ["REDIS_URL"]).set("kept", "yes")
"""
READ = """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    print("read", db.execute("SELECT note FROM kept").fetchone()[0])
"""


def test_run_keeps_the_database_between_runs_and_stops_the_servers_after_the_command(local_dir) -> None:
    first = supervise("run", python(WRITE), supervisor_env(local_dir))
    assert first.returncode == 0, first.stderr
    assert "server 18." in first.stdout
    assert "created a PostgreSQL cluster" in first.stderr
    ports = ports_in(first.stderr)
    assert len(ports) == 2, first.stderr
    assert not any(listening(p) for p in ports), "a server outlived its command"
    assert (local_dir / "postgres" / "PG_VERSION").exists()

    second = supervise("run", python(READ), supervisor_env(local_dir))
    assert second.returncode == 0, second.stderr
    assert "read from the first run" in second.stdout
    assert "created a PostgreSQL cluster" not in second.stderr  # the same cluster, reused
    assert ports_in(second.stderr) == ports  # the same ports: a saved client connection still works
    assert not (local_dir / "services.env").exists()


def test_the_remembered_port_is_kept_while_its_old_connections_wait_and_refused_while_listened_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The flake behind the test above: the first run's servers closed their connections first, so
    their port held TIME_WAIT sockets for a minute, and a probe without SO_REUSEADDR took it for
    busy and moved the server. The servers themselves bind with SO_REUSEADDR; so does the probe."""
    local_services = script("local_services")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", local_services.free_port()))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    time.sleep(0.1)
    client.close()
    saved = tmp_path / "postgres.port"
    saved.write_text(f"{port}\n")
    capsys.readouterr()
    taken = local_services.remembered_port(saved)
    assert taken != port, "a port something listens on was handed out"
    assert f"port {port}, used last time, is taken by another program; moving to {taken}" in capsys.readouterr().err
    listener.close()
    saved.write_text(f"{port}\n")
    assert local_services.remembered_port(saved) == port
    assert saved.read_text() == f"{port}\n"
    assert "moving" not in capsys.readouterr().err, "a kept port is not announced"


def test_test_mode_is_throwaway_fills_in_only_the_test_redis_and_passes_the_exit_code_on(local_dir) -> None:
    code = ("import os, sys; print(sorted(k for k in os.environ if k.endswith('_URL') and 'REDIS' in k or "
            "k == 'DATABASE_URL')); sys.exit(3)")
    done = supervise("test", python(code), supervisor_env(local_dir))
    assert done.returncode == 3, done.stderr
    assert "['DATABASE_URL', 'TEST_REDIS_URL']" in done.stdout  # as in CI: no REDIS_URL for the tests
    assert "/15" in done.stderr  # the tests' Redis database number, as in CI
    assert list(local_dir.glob("test-*")) == []


def test_nothing_starts_when_the_urls_are_given(local_dir) -> None:
    env = supervisor_env(local_dir / "never", DATABASE_URL="postgres://ci@db.example:5432/ci",
                         TEST_REDIS_URL="redis://redis.example:6379/15")
    done = supervise("test", python("import os; print(os.environ['DATABASE_URL'], os.environ['TEST_REDIS_URL'])"),
                     env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["postgres://ci@db.example:5432/ci", "redis://redis.example:6379/15"]
    assert not (local_dir / "never").exists()


def test_a_supervisor_killed_with_sigkill_takes_its_servers_down_and_the_next_run_clears_up(local_dir) -> None:
    process = subprocess.Popen(
        [sys.executable, str(SUPERVISOR), "test", "--", *python("import time; print('up', flush=True); "
                                                               "time.sleep(120)")],
        env=supervisor_env(local_dir), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "up"
        assert process.stderr is not None
        ready = next(line for line in process.stderr if "ready in" in line)
        ports = ports_in(ready)
        assert len(ports) == 2 and all(listening(p) for p in ports)
        left = list(local_dir.glob("test-*"))
        assert len(left) == 1
        process.kill()
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(listening(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(listening(p) for p in ports), "the servers outlived a SIGKILLed supervisor"
        assert left[0].exists()  # nobody was left to delete it...
    finally:
        if process.poll() is None:
            process.kill()
    done = supervise("test", ["true"], supervisor_env(local_dir))
    assert done.returncode == 0, done.stderr
    assert "left by a test run that did not finish" in done.stderr
    assert not left[0].exists()  # ...so the next run did


def test_a_stale_pid_file_and_a_server_left_running_do_not_block_the_next_run(local_dir) -> None:
    services = script("local_services")
    data = local_dir / "postgres"

    # A server a crashed run left behind (as on a system without parent-death signals).
    orphan, _url = services.start_postgres(data, keep=True, port_file=None, log=local_dir / "orphan.log")
    done = supervise("run", python(READ.replace("SELECT note FROM kept", "SELECT 'fresh'")),
                     supervisor_env(local_dir, REDIS_URL="redis://unused.example:6379/0"))
    assert done.returncode == 0, done.stderr
    assert "read fresh" in done.stdout
    assert "left running by an earlier run" in done.stderr
    assert orphan.process.wait(timeout=30) is not None

    # A pid file naming a process that is alive but is not PostgreSQL (the pid was reused).
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        (data / "postmaster.pid").write_text(f"{unrelated.pid}\n{data}\n0\n5432\n\n127.0.0.1\n0 0\nready\n")
        done = supervise("run", python(READ.replace("SELECT note FROM kept", "SELECT 'again'")),
                         supervisor_env(local_dir, REDIS_URL="redis://unused.example:6379/0"))
        assert done.returncode == 0, done.stderr
        assert "read again" in done.stdout
        assert "removing stale" in done.stderr
        assert unrelated.poll() is None  # not ours: left alone
    finally:
        unrelated.kill()
        unrelated.wait()


def test_a_half_made_cluster_from_a_killed_initdb_is_cleared_and_made_again(local_dir) -> None:
    (local_dir / "postgres" / "global").mkdir(parents=True)
    (local_dir / "postgres" / "postgresql.conf").write_text("# half written\n")
    done = supervise("run", python(READ.replace("SELECT note FROM kept", "SELECT 'made'")),
                     supervisor_env(local_dir, REDIS_URL="redis://unused.example:6379/0"))
    assert done.returncode == 0, done.stderr
    assert "holds no complete PostgreSQL cluster" in done.stderr
    assert "read made" in done.stdout


def test_a_second_make_run_in_the_same_checkout_is_refused_with_a_reason(local_dir) -> None:
    import fcntl

    (local_dir / "run.lock").touch()
    with open(local_dir / "run.lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = supervise("run", ["true"], supervisor_env(local_dir))
    assert done.returncode == 1
    assert "another `make run` is running in this checkout" in done.stderr


def test_run_processes_serves_with_runserver_and_runs_every_other_procfile_process() -> None:
    processes = script("run_processes").processes
    procfile = dict(line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines() if line.strip())
    started = processes(8123)
    assert started["web"].endswith("manage.py runserver 127.0.0.1:8123")
    assert set(started) == set(procfile) and {"worker", "beat"} <= set(started)
    assert all(started[name] == procfile[name].strip() for name in procfile if name != "web")


@pytest.mark.worker
def test_make_run_serves_pages_runs_tasks_on_a_worker_and_stops_everything_on_ctrl_c(local_dir) -> None:
    """What `make run` does after installing: migrate, then runserver, worker and beat under honcho,
    all on the embedded servers; Ctrl-C (SIGINT to the terminal's process group) ends them all."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = supervisor_env(local_dir, DEBUG="true", DJANGO_SETTINGS_MODULE="strikeops.settings")
    command = ["bash", "-c", f"{sys.executable} manage.py migrate --noinput -v0 && "
                             f"exec {sys.executable} scripts/run_processes.py --port {port}"]
    log = local_dir / "make-run.log"
    with open(log, "wb") as output:
        supervisor = subprocess.Popen([sys.executable, str(SUPERVISOR), "run", "--", *command], env=env, cwd=REPO,
                                      stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        page = ""
        while time.monotonic() < deadline and not page:
            assert supervisor.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode()
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        assert "strikeops" in page, log.read_text()[-3000:]

        urls = dict(line.split("=", 1) for line in (local_dir / "services.env").read_text().split())
        token = "t" + str(time.time_ns())
        sent = subprocess.run(python(
            "from strikeops.celery import app; from strikeops.tasks import health; "
            f"print(health.delay('{token}').get(timeout=60))"), env={**env, **urls}, cwd=REPO,
            capture_output=True, text=True, timeout=90, check=False)
        assert sent.stdout.strip() == f"ok:{token}", sent.stderr[-3000:] + log.read_text()[-3000:]
        assert "beat: Starting" in log.read_text()
        with psycopg.connect(urls["DATABASE_URL"]) as db:
            migrations = db.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
            assert migrations is not None and migrations[0] > 10
    finally:
        os.killpg(supervisor.pid, signal.SIGINT)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.pid, signal.SIGKILL)
            raise
    text = log.read_text()
    assert re.search(r"worker +\| .*Task strikeops.health\[.*\] succeeded", text), text[-3000:]
    for name in ("web", "worker", "beat"):
        assert re.search(rf"{name} stopped", text), text[-3000:]
    ready = next(line for line in text.splitlines() if "ready in" in line)
    assert not any(listening(p) for p in [port, *ports_in(ready)])
