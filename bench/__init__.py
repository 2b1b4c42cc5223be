"""The load benchmark of Authgate: `make bench`, or `python -m bench`.

It serves Authgate the way production does (`authgate serve`: granian, several worker processes)
against a throwaway MySQL/MariaDB or PostgreSQL database, seeds users of every role, drives each
scenario with wrk on 127.0.0.1 (installed with apt-get when missing), runs the two reads again
open-loop at a fixed rate (bench/fixed_rate.py, which wrk cannot do; GET /api/test/user at half
and at a quarter of its maximum), measures a bare Litestar app on the same server settings
(bench/hello.py), prints the tables (with each scenario's transient-conflict retries, from the
server's log) and the targets of bench/config.py, and writes them as JSON, beside the servers'
logs, under bench/results/.

Settings, from the environment:
- BENCH_DATABASE_URL  the MySQL or PostgreSQL server (default mysql+asyncmy://root@127.0.0.1:3306/;
                      postgresql://postgres@127.0.0.1:5432/ for the local PostgreSQL); the bench
                      creates a database `authgate_bench_<random>` there and drops it at the end
- BENCH_WORKERS       granian worker processes (default 2)
- BENCH_DURATION      seconds each scenario is measured (default 10)
- BENCH_WARMUP        seconds each scenario runs unmeasured first (default 2, 0 for none)
- BENCH_CONNECTIONS   connections of the read and refresh scenarios (default 16)
- BENCH_THREADS       wrk threads per wrk process (default 1)
- BENCH_SERVER_ROOT   the checkout that serves (default this one): another commit's checkout
                      (`git worktree add /tmp/before <commit>`) is measured by this bench, with
                      this environment's packages, for a before/after on equal terms
- BENCH_COMPARE_URL   another implementation of the same API (http://host:port, e.g. the Node
                      original): after the scenarios, Authgate at cost 8 and it side by side on
                      the scenarios both serve, in alternating rounds (bench/compare.py)
- BENCH_COMPARE_ROUNDS  rounds per side in that comparison (default 2)
- BENCH_ONLY=compare  the comparison alone (BENCH_COMPARE_URL required)
Any other service setting (DB_POOL_SIZE, BCRYPT_THREADS, ...) passes through to the server.

`python -m bench.in_process` measures the application alone, in process (see its docstring).

Exit status: 0 when every request got a 2xx answer and no fixed-rate run stalled; 1 when any had
a socket error or another status, or a fixed-rate run's p99.9 was over the stall guard
(Targets.stall_ms); 2 when the bench itself could not run; 130 on Ctrl-C and 143 on SIGTERM
(after the same clean-up: server stopped, database dropped).
"""
