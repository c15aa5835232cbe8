"""Who may see what. Every view scopes its objects through here first (404 for anything else)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from trusts.models import Membership, Region, Role, Trust, User

AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a @login_required view, for the type checker: its user is signed in."""

    user: User


def _memberships(user: AnyUser) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def is_national_manager(user: AnyUser) -> bool:
    return _memberships(user).filter(role=Role.NATIONAL_MANAGER).exists()


def managed_regions(user: AnyUser) -> QuerySet[Region]:
    """Regions a manager may see: all for a national manager, their own for a regional manager."""
    if is_national_manager(user):
        return Region.objects.all()
    return Region.objects.filter(memberships__user=user, memberships__role=Role.REGIONAL_MANAGER).distinct() \
        if user.is_authenticated else Region.objects.none()


def is_manager(user: AnyUser) -> bool:
    return _memberships(user).filter(role__in=[Role.NATIONAL_MANAGER, Role.REGIONAL_MANAGER]).exists()


def trusts_with_role(user: AnyUser, *roles: Role) -> QuerySet[Trust]:
    """Trusts where the user holds one of the given trust roles."""
    if not user.is_authenticated:
        return Trust.objects.none()
    return Trust.objects.filter(memberships__user=user, memberships__role__in=list(roles)).distinct()


def trusts_visible_to_manager(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose figures a manager may read (read-only)."""
    if is_national_manager(user):
        return Trust.objects.all()
    return Trust.objects.filter(icb__region__in=managed_regions(user))


# One function per meaning of "which trusts": name the meaning at the call site, never rebuild it.

def trusts_returns_editable(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose daily returns the user may enter and change: where they are a trust administrator."""
    return trusts_with_role(user, Role.TRUST_ADMIN)


def trusts_returns_readable(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose daily returns (and their history) the user may read: those they administer and those
    they manage. Communications staff do not read returns."""
    editable = trusts_returns_editable(user).values("pk")
    managed = trusts_visible_to_manager(user).values("pk")
    return Trust.objects.filter(Q(pk__in=editable) | Q(pk__in=managed))


def trusts_figures_readable(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose own pages (figures report, reminder log) the user may read: any of its staff
    (administrators and communications), and its managers."""
    if is_national_manager(user):
        return Trust.objects.all()
    if not user.is_authenticated:
        return Trust.objects.none()
    own = Q(memberships__user=user, memberships__role__in=[Role.TRUST_ADMIN, Role.TRUST_COMMS])
    regional = Q(icb__region__in=managed_regions(user))
    return Trust.objects.filter(own | regional).distinct()


def trusts_notices_manageable(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose public notices, message templates and patient campaigns the user may manage: where
    they are communications staff."""
    return trusts_with_role(user, Role.TRUST_COMMS)


def get_scoped_trust_or_404(queryset: QuerySet[Trust], ods_code: str) -> Trust:
    trust = queryset.select_related("icb__region").filter(ods_code=ods_code.upper()).first()
    if trust is None:
        raise Http404("No such trust in your organisations.")
    return trust
