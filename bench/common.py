"""Shared set-up for the benchmark scripts in bench/ (scripts only: nothing in the app imports this).

Every script runs against its own PostgreSQL database and Redis db, never the development or test
ones: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench) and BENCH_REDIS_URL
(default redis://127.0.0.1:6379/11). Settings are the production ones (DEBUG off) with plain HTTP
on localhost (SECURE_SSL_REDIRECT=false).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")

# The production settings module with what a localhost benchmark needs; every child process
# (gunicorn, celery, manage.py) gets the same environment.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "strikeops.settings",
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-not-for-production-abcdefghijkl",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "REDIS_URL": REDIS_URL,
    # The start-up checks (strikeops/checks.py) refuse a worker without these.
    "MESSAGING_HASH_KEY": "bench-only-messaging-hash-key-0123456789-not-for-production",
    "SITE_URL": "https://strikeops.bench.invalid",
    # Signed-in benchmark users have no authenticator app; the two-factor step is not what we measure.
    "OTP_REQUIRED_FOR_NATIONAL_MANAGERS": "false",
}


def bench_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **BENCH_ENV, **extra}
    return env


def setup_django(**extra: str) -> None:
    for key, value in {**BENCH_ENV, **extra}.items():
        os.environ.setdefault(key, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(*args: str, **extra: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=bench_env(**extra), check=True)


def parse_scale(text: str) -> int:
    """'10k' -> 10_000, '1M' -> 1_000_000, '250000' -> 250_000."""
    text = text.strip()
    multiplier = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if multiplier > 1 else text) * multiplier)


def scales_from_env(default: str = "10k 100k 1M 5M") -> list[str]:
    return os.environ.get("BENCH_SCALES", default).split()


def median_p95(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> list[float]:
    """Milliseconds per call, after warm-up calls (connections, caches, imports)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mb(pid: int) -> float | None:
    """Another process's peak RSS (VmHWM) while it is alive."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": round(load[0], 2),
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def print_table(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    widths = [max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns]
    print(f"\n{title}")
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(cell(row.get(c, "")).rjust(w) for c, w in zip(columns, widths, strict=True)))


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """bench/results/<name>.json (gitignored), with the machine it ran on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2, default=str))
    print(f"-> {path.relative_to(ROOT)}")
    return path
