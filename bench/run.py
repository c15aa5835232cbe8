"""Every benchmark in one go (`make bench`): a fresh bench database, then reports at each scale,
imports, the submission burst and the message fan-out. Figures go to bench/results/*.json.

    BENCH_SCALES="10k 100k 1M 5M" python bench/run.py      # the default
    BENCH_SCALES=10k python bench/run.py                    # quick: small import, fan-out of 10k

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench; the database is
dropped and created again, so never point it at one you need), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/11; flushed by the fan-out benchmark), BENCH_KEEP_DB=1 to keep the database
afterwards (it is dropped at the end otherwise: 5M returns take about 2 GB).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATABASE_URL, ROOT, bench_env, manage, parse_scale, scales_from_env

BENCH = ROOT / "bench"


def script(name: str, *args: str) -> None:
    print(f"\n=== {name} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(BENCH / name), *args], cwd=ROOT, env=bench_env(), check=True)


def recreate_database(drop_only: bool = False) -> None:
    import psycopg

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    if name in ("", "postgres", "template0", "template1"):
        raise SystemExit(f"Refusing to drop the database {name!r}.")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    scales = scales_from_env()
    quick = max(parse_scale(s) for s in scales) <= 100_000
    started = time.perf_counter()
    recreate_database()
    try:
        manage("migrate", "--noinput", "-v0")
        manage("import_trusts", "trusts/data/trusts.csv")
        manage("collectstatic", "--noinput", "-v0")
        for scale in scales:
            script("generate.py", "--returns", scale)
            script("bench_reports.py", "--label", scale)
        manage("check_rollups")
        import_sizes = ["10k", "30k"] if quick else ["100k", "300k"]
        script("bench_import.py", *(arg for size in import_sizes for arg in ("--rows", size)))
        script("bench_submit.py")
        fanout_sizes = ["10k"] if quick else ["100k", "1M"]
        script("bench_fanout.py", *(arg for size in fanout_sizes for arg in ("--recipients", size)))
        manage("check_rollups")
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate_database(drop_only=True)
    print(f"\nAll benchmarks done in {(time.perf_counter() - started) / 60:.1f} minutes; figures in bench/results/.")


if __name__ == "__main__":
    main()
