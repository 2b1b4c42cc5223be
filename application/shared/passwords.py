from application.common.errors import PasswordTooCommon
from application.ports.passwords import CommonPasswords
from domain.values import RawPassword


def refuse_common(password: RawPassword, common_passwords: CommonPasswords) -> None:
    """Every password a user chooses passes here: at signup, and at every later change or reset.
    Raises PasswordTooCommon for one on the list of commonly used passwords."""
    if password.value in common_passwords:
        raise PasswordTooCommon
