"""Signup and the signed-in caller's own account."""

from dishka import Provider, Scope, provide

from application.accounts.change_password import ChangePassword
from application.accounts.delete_own_account import DeleteOwnAccount
from application.accounts.get_own_account import GetOwnAccount
from application.accounts.register_user import RegisterUser


class AccountsProvider(Provider):
    scope = Scope.REQUEST

    register_user = provide(RegisterUser)
    get_own_account = provide(GetOwnAccount)
    change_password = provide(ChangePassword)
    delete_own_account = provide(DeleteOwnAccount)
