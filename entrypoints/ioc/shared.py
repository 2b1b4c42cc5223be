"""The building blocks the features share (application/shared), with their policies."""

from dishka import Provider, Scope, from_context, provide

from application.ports.caller import Caller
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens, TokenPolicy
from application.shared.rate_limits import RateLimitPolicy
from application.shared.throttle import Throttle
from application.shared.transactions import RetryPolicy, Transactions
from entrypoints.settings import Settings


class SharedProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def retry_policy(self, settings: Settings) -> RetryPolicy:
        return settings.retry_policy

    @provide(scope=Scope.APP)
    def rate_limit_policy(self, settings: Settings) -> RateLimitPolicy:
        return settings.rate_limit_policy

    @provide(scope=Scope.APP)
    def token_policy(self, settings: Settings) -> TokenPolicy:
        return settings.token_policy

    caller = from_context(provides=Caller, scope=Scope.REQUEST)
    """Given by whoever opens the request scope: the HTTP layer (entrypoints/http/injection.py),
    the command line (the operator), background work (nobody)."""

    transactions = provide(Transactions)
    throttle = provide(Throttle)
    identify_caller = provide(IdentifyCaller)
    audit_log = provide(AuditLog)
    one_time_tokens = provide(OneTimeTokens)
