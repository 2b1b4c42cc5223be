"""A second factor: TOTP with recovery codes. Enrolment and its confirmation, the second step of
a signin, disabling it and new recovery codes (domain/second_factor.py has the rules)."""
