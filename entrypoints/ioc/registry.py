"""The one composition root: every feature's provider, the storage the settings choose, and
whatever a test overrides."""

from dishka import AsyncContainer, Provider, make_async_container

from entrypoints.ioc.access import AccessProvider
from entrypoints.ioc.accounts import AccountsProvider
from entrypoints.ioc.admin import AdminProvider
from entrypoints.ioc.core import CoreProvider
from entrypoints.ioc.keys import KeysProvider
from entrypoints.ioc.mail import MailProvider
from entrypoints.ioc.mfa import MfaProvider
from entrypoints.ioc.operations import OperationsProvider
from entrypoints.ioc.passkeys import PasskeysProvider
from entrypoints.ioc.recovery import RecoveryProvider
from entrypoints.ioc.sessions import SessionsProvider
from entrypoints.ioc.shared import SharedProvider
from entrypoints.ioc.storage import attempts_providers, storage_provider
from entrypoints.settings import Settings


def build_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """Tests pass providers that override a port (a fake clock)."""
    return make_async_container(
        CoreProvider(),
        SharedProvider(),
        MailProvider(),
        AccessProvider(),
        AccountsProvider(),
        SessionsProvider(),
        AdminProvider(),
        RecoveryProvider(),
        MfaProvider(),
        OperationsProvider(),
        KeysProvider(),
        PasskeysProvider(),
        storage_provider(settings.database),
        *attempts_providers(settings.limits),
        *overrides,
        context={Settings: settings, **settings.sections()},
    )
