"""Readiness and the periodic purges."""

from datetime import timedelta

from dishka import Provider, Scope, provide

from application.operations.check_readiness import CheckReadiness
from application.operations.purge_audit_events import AuditPolicy, PurgeAuditEvents
from application.operations.purge_sessions import PurgeSessions
from entrypoints.settings import DatabaseSettings


def audit_policy(database: DatabaseSettings) -> AuditPolicy:
    return AuditPolicy(retention=timedelta(days=database.audit_retention_days))


class OperationsProvider(Provider):
    scope = Scope.REQUEST

    audit_policy = provide(staticmethod(audit_policy), scope=Scope.APP)

    check_readiness = provide(CheckReadiness)
    purge_sessions = provide(PurgeSessions)
    purge_audit_events = provide(PurgeAuditEvents)
