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


def trusts_readable(user: AnyUser) -> QuerySet[Trust]:
    """Trusts whose internal figures the user may read: their own trusts, or those they manage."""
    if is_national_manager(user):
        return Trust.objects.all()
    if not user.is_authenticated:
        return Trust.objects.none()
    own = Q(memberships__user=user, memberships__role__in=[Role.TRUST_ADMIN, Role.TRUST_COMMS])
    regional = Q(icb__region__in=managed_regions(user))
    return Trust.objects.filter(own | regional).distinct()


def get_scoped_trust_or_404(queryset: QuerySet[Trust], ods_code: str) -> Trust:
    trust = queryset.select_related("icb__region").filter(ods_code=ods_code.upper()).first()
    if trust is None:
        raise Http404("No such trust in your organisations.")
    return trust
