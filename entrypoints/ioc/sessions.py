"""Signin, refresh, sign-out and the caller's own sessions."""

from dishka import Provider, Scope, provide

from application.sessions.authenticate_user import AuthenticateUser, SigninRules
from application.sessions.end_own_session import EndOwnSession
from application.sessions.end_own_sessions import EndOwnSessions
from application.sessions.list_own_sessions import ListOwnSessions
from application.sessions.refresh_session import RefreshSession
from application.sessions.sign_out import SignOut
from application.shared.session_policy import SessionPolicy
from entrypoints.settings import Settings


class SessionsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def session_policy(self, settings: Settings) -> SessionPolicy:
        return settings.session_policy

    @provide(scope=Scope.APP)
    def signin_rules(self, settings: Settings) -> SigninRules:
        return SigninRules(require_verified_email=settings.require_verified_email)

    authenticate_user = provide(AuthenticateUser)
    refresh_session = provide(RefreshSession)
    sign_out = provide(SignOut)
    list_own_sessions = provide(ListOwnSessions)
    end_own_session = provide(EndOwnSession)
    end_own_sessions = provide(EndOwnSessions)
