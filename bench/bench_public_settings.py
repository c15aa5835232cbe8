"""Settings for bench/bench_public.py's gunicorn: production settings plus one bare Django page
(bench_public_urls), the baseline every public page is compared with in the same run."""

from strikeops.settings import *  # noqa: F403

ROOT_URLCONF = "bench_public_urls"
