"""`make run`'s processes in one terminal, each line prefixed with its name: runserver in place of the
Procfile's `web` (it reloads on code changes and serves static files with DEBUG on), and every other
Procfile process as production runs it (the Celery worker, whichever queues the Procfile gives it,
and beat). honcho runs them; when one stops, or on Ctrl-C, it stops them all.

    python scripts/run_processes.py [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

REPO = Path(__file__).resolve().parent.parent


def processes(port: int) -> dict[str, str]:
    procfile = parse_procfile((REPO / "Procfile").read_text()).processes
    web = f"{sys.executable} manage.py runserver 127.0.0.1:{port}"
    return {"web": web, **{name: command for name, command in procfile.items() if name != "web"}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    # The Procfile's commands name `celery`: the one in this venv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("CELERY_CONCURRENCY", "2")  # a laptop, not a production machine
    env.setdefault("PYTHONUNBUFFERED", "1")  # lines reach the terminal as they are written
    manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty(), prefix=True))
    for name, command in processes(args.port).items():
        manager.add_process(name, command, env=env, cwd=str(REPO))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
