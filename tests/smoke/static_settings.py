"""Production settings for the smoke test's collectstatic step only: the same manifest
(staticfiles.json) as production's WhiteNoise storage writes, without its gzip/brotli copies, which
take most of a minute to make and which WhiteNoise does not need in order to serve the files."""

from strikeops.settings import *  # noqa: F403
from strikeops.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
