"""Signin, refresh, sign-out and the caller's own sessions."""

from datetime import timedelta

from dishka import Provider, Scope, provide

from application.sessions.authenticate_user import AuthenticateUser
from application.sessions.end_own_session import EndOwnSession
from application.sessions.end_own_sessions import EndOwnSessions
from application.sessions.list_own_sessions import ListOwnSessions
from application.sessions.refresh_session import RefreshSession
from application.sessions.sign_out import SignOut
from application.shared.session_policy import SessionPolicy, SigninRules
from entrypoints.settings import TokenSettings


def session_policy(tokens: TokenSettings) -> SessionPolicy:
    return SessionPolicy(
        refresh_token_lifetime=timedelta(seconds=tokens.refresh_token_ttl),
        session_lifetime=timedelta(seconds=tokens.session_ttl),
        reuse_grace=timedelta(seconds=tokens.refresh_reuse_grace),
        rotation=tokens.refresh_rotation,
    )


def signin_rules(tokens: TokenSettings) -> SigninRules:
    return SigninRules(require_verified_email=tokens.require_verified_email)


class SessionsProvider(Provider):
    scope = Scope.REQUEST

    session_policy = provide(staticmethod(session_policy), scope=Scope.APP)
    signin_rules = provide(staticmethod(signin_rules), scope=Scope.APP)

    authenticate_user = provide(AuthenticateUser)
    refresh_session = provide(RefreshSession)
    sign_out = provide(SignOut)
    list_own_sessions = provide(ListOwnSessions)
    end_own_session = provide(EndOwnSession)
    end_own_sessions = provide(EndOwnSessions)
