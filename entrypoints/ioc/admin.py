"""Administering other people's accounts, and reading the audit trail."""

from dishka import Provider, Scope, provide

from application.admin.authorize_administrator import AuthorizeAdministrator
from application.admin.create_administrator import CreateAdministrator
from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.enable_user import EnableUser
from application.admin.end_user_sessions import EndUserSessions
from application.admin.get_user import GetUser
from application.admin.list_users import ListUsers
from application.admin.read_audit_trail import ReadAuditTrail
from application.admin.reset_second_factor import ResetSecondFactor
from application.admin.set_user_roles import SetUserRoles


class AdminProvider(Provider):
    scope = Scope.REQUEST

    authorize_administrator = provide(AuthorizeAdministrator)
    create_administrator = provide(CreateAdministrator)
    list_users = provide(ListUsers)
    get_user = provide(GetUser)
    set_user_roles = provide(SetUserRoles)
    disable_user = provide(DisableUser)
    enable_user = provide(EnableUser)
    delete_user = provide(DeleteUser)
    end_user_sessions = provide(EndUserSessions)
    read_audit_trail = provide(ReadAuditTrail)
    reset_second_factor = provide(ResetSecondFactor)
