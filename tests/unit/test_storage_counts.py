from tests.storage_counts import NONE, count_by_storage, lines, storage_of


def test_a_tests_storage_is_read_from_its_id() -> None:
    assert storage_of("tests/api/test_signin.py::test_x[postgres]") == "postgres"
    assert storage_of("tests/api/test_t.py::test_y[settings_overrides0-mysql]") == "mysql"
    assert storage_of("tests/faults/test_f.py::test_z[postgres-BLACK_HOLE]") == "postgres"
    assert storage_of("tests/contracts/test_p.py::test_w[mysql-asyncmy]") == "mysql"
    assert storage_of("tests/unit/test_u.py::test_v") == NONE
    assert storage_of("tests/unit/test_u.py::test_v[postgresql-ids]") == NONE


def test_counts_are_by_storage_then_outcome() -> None:
    counts = count_by_storage(
        [("passed", "a[sqlite]"), ("passed", "b[sqlite]"), ("skipped", "c[mysql]"), ("passed", "d")]
    )

    assert lines(counts) == ["sqlite    2 passed", "mysql     1 skipped", "(none)    1 passed"]
