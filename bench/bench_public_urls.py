"""The app's URLs plus /bench-bare/: a Django view that returns "ok" through the same middleware,
settings and gunicorn as the public pages (bench/bench_public.py's baseline)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-bare/", bare), path("", include("strikeops.urls"))]
