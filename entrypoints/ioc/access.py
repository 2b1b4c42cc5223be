"""The role-protected resources of the original (/api/test/*)."""

from dishka import Provider, Scope, provide

from application.access.authorize_access import AuthorizeAccess


class AccessProvider(Provider):
    scope = Scope.REQUEST

    authorize_access = provide(AuthorizeAccess)
