"""Readiness and the periodic purges."""

from dishka import Provider, Scope, provide

from application.operations.check_readiness import CheckReadiness
from application.operations.purge_audit_events import AuditPolicy, PurgeAuditEvents
from application.operations.purge_sessions import PurgeSessions
from entrypoints.settings import Settings


class OperationsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def audit_policy(self, settings: Settings) -> AuditPolicy:
        return settings.audit_policy

    check_readiness = provide(CheckReadiness)
    purge_sessions = provide(PurgeSessions)
    purge_audit_events = provide(PurgeAuditEvents)
