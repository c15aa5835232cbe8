import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikeops.settings")
application = get_asgi_application()

from strikeops.checks import refuse_to_start_if_misconfigured  # noqa: E402  (needs settings)

refuse_to_start_if_misconfigured()
