"""The list of commonly used passwords that zxcvbn (Dropbox's password-strength estimator,
maintained as the `zxcvbn` package) ships: the 30,000 most frequent in leaked password sets,
lowercased. Loaded once; a check is a set look-up."""

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from application.ports.passwords import CommonPasswords


class ZxcvbnCommonPasswords(CommonPasswords):
    def __init__(self) -> None:
        self._passwords = frozenset(FREQUENCY_LISTS["passwords"])

    def __contains__(self, password: str) -> bool:
        return password.lower() in self._passwords
