"""Port contract suite: one module per storage port, each rule the port promises tested against
every adapter of it, so that a rule is tested where it is implemented (a SQL predicate on SQL).

    port              memory   SQLAlchemy on SQLite, MySQL, PostgreSQL   asyncmy   asyncpg
    UserRepository      x                      x
    SessionStore        x                      x
    PrincipalFinder     x                      x                          x         x
    UnitOfWork          x*                     x
    SigningKeyStore     x                      x

* commit only: in-memory writes take effect at once and promise no rollback.

`storage_under_test` puts each adapter set behind the same few calls; `tests/unit/test_container`
checks that these are the adapters production wires.
"""
