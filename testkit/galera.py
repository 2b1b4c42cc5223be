"""A multi-primary MariaDB Galera cluster on loopback, for tests and tools: each node a `mariadbd`
of its own (datadir, ports and socket under one temporary folder), small buffers, torn down with
every process it started and every file it wrote, whatever happens in between.

    with galera_cluster(Path(tmp)) as cluster:
        cluster.nodes[0].sql("CREATE DATABASE authgate")

Node 1 bootstraps the cluster; the others join it by state transfer (rsync), so a node's data is
the cluster's, never a copy made beside it. `GaleraUnavailable` says what is missing where the
server or the galera-4 provider is not installed.
"""

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from testkit.servers import free_ports

MARIADBD = os.environ.get("GALERA_MARIADBD", "/usr/sbin/mariadbd")
_PROVIDERS = (
    "/usr/lib/galera/libgalera_smm.so",
    "/usr/lib/libgalera_smm.so",
    "/usr/lib64/galera-4/libgalera_smm.so",
    "/usr/lib64/galera/libgalera_smm.so",
)
_START_TIMEOUT = 90.0
_STOP_TIMEOUT = 30.0

# Small on purpose: the cluster shares its machine with whatever else runs there.
_NODE_CONFIG = """\
[mysqld]
user={user}
datadir={datadir}
socket={socket}
pid-file={pidfile}
log-error={errorlog}
bind-address=127.0.0.1
port={port}
skip-name-resolve
performance_schema=OFF
innodb_buffer_pool_size=24M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
max_connections=200
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider={provider}
wsrep_cluster_name=authgate_test
wsrep_cluster_address=gcomm://{members}
wsrep_node_name=node{index}
wsrep_node_address=127.0.0.1:{gcomm_port}
wsrep_provider_options="{provider_options}"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:{sst_port}
wsrep_slave_threads=2
"""


# Its own listen ports; a small write-set cache, which still holds what a node that was down for
# a test's minute missed (it rejoins by IST, not a full copy); a dead node is suspected after 3 s
# and evicted after 6 s, so that the survivors carry on sooner than the default 15 s.
_PROVIDER_OPTIONS = (
    "gmcast.listen_addr=tcp://127.0.0.1:{gcomm_port}",
    "ist.recv_addr=127.0.0.1:{ist_port}",
    "gcache.size=32M",
    "evs.suspect_timeout=PT3S",
    "evs.inactive_timeout=PT6S",
)


class GaleraUnavailable(RuntimeError):
    """The machine cannot run a Galera node; the message says what to install."""


def galera_provider() -> str:
    """The galera-4 library, or `GaleraUnavailable` naming what is missing."""
    configured = os.environ.get("GALERA_PROVIDER")
    candidates = (configured,) if configured else _PROVIDERS
    found = next((path for path in candidates if path and Path(path).is_file()), None)
    if found is None:
        raise GaleraUnavailable(
            f"no Galera provider ({', '.join(candidates)}): install galera-4 "
            "(apt-get install galera-4) or set GALERA_PROVIDER"
        )
    for tool in (MARIADBD, "mariadb-install-db", "mariadb", "rsync"):
        if shutil.which(tool) is None:
            raise GaleraUnavailable(f"{tool} not found: install mariadb-server and rsync")
    return found


@dataclass
class GaleraNode:
    index: int
    home: Path
    port: int
    gcomm_port: int
    ist_port: int
    sst_port: int
    process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def socket(self) -> Path:
        return self.home / "mysqld.sock"

    @property
    def error_log(self) -> Path:
        return self.home / "error.log"

    @property
    def config(self) -> Path:
        return self.home / "my.cnf"

    def url(self, database: str = "") -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    def write_config(self, provider: str, members: str, user: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.datadir.mkdir(exist_ok=True)
        self.config.write_text(
            _NODE_CONFIG.format(
                user=user,
                datadir=self.datadir,
                socket=self.socket,
                pidfile=self.home / "mysqld.pid",
                errorlog=self.error_log,
                port=self.port,
                provider=provider,
                members=members,
                index=self.index,
                gcomm_port=self.gcomm_port,
                ist_port=self.ist_port,
                sst_port=self.sst_port,
                provider_options="; ".join(_PROVIDER_OPTIONS).format(
                    gcomm_port=self.gcomm_port, ist_port=self.ist_port
                ),
            )
        )
        # mariadbd ignores a world-writable option file.
        self.config.chmod(0o644)
        # The node, and the rsync daemon it starts to receive a state transfer, run as `user`:
        # a daemon started by root would write as nobody.
        for path in (self.home, self.datadir):
            shutil.chown(path, user)

    def install(self) -> None:
        """An empty system schema, for the node that bootstraps; joiners receive the cluster's."""
        _run(
            "mariadb-install-db",
            f"--defaults-file={self.config}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--datadir={self.datadir}",
        )

    def start(self, *, bootstrap: bool = False) -> None:
        """Starts mariadbd in a process group of its own (the SST's rsync daemon included), so
        that stopping the node stops everything it started."""
        arguments = [MARIADBD, f"--defaults-file={self.config}"]
        if bootstrap:
            arguments.append("--wsrep-new-cluster")
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed arguments
            arguments,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_synced(self, timeout: float = _START_TIMEOUT, cluster_size: int = 1) -> None:
        """Until the node serves, as a member of a primary component of `cluster_size` or more
        nodes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise GaleraUnavailable(f"node{self.index} exited:\n{self.log_tail()}")
            with contextlib.suppress(subprocess.CalledProcessError):
                state = self.status("wsrep_local_state_comment")
                if (
                    state == "Synced"
                    and self.status("wsrep_ready") == "ON"
                    and int(self.status("wsrep_cluster_size") or 0) >= cluster_size
                ):
                    return
            time.sleep(0.2)
        raise GaleraUnavailable(
            f"node{self.index} not synced in {timeout:.0f} s:\n{self.log_tail()}"
        )

    def status(self, name: str) -> str:
        rows = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'")
        return rows[0][1] if rows else ""

    def sql(self, statement: str, database: str = "") -> list[list[str]]:
        """Runs statements on this node through the client, over its socket; the rows, as text."""
        done = _run(
            "mariadb",
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--batch",
            "--skip-column-names",
            "--connect-timeout=2",
            *([database] if database else []),
            "-e",
            statement,
        )
        return [line.split("\t") for line in done.splitlines() if line]

    def kill(self) -> None:
        """A crash: SIGKILL to the node and everything it started, no shutdown."""
        self._end(signal.SIGKILL)

    def freeze(self) -> None:
        """A hang: the node and its helpers stop (SIGSTOP) with every connection left open."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """A clean shutdown; SIGKILL for whatever has not ended in time."""
        self._end(signal.SIGTERM)

    def _end(self, signum: int) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGCONT)  # a frozen node cannot act on SIGTERM
        for attempt in (signum, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, attempt)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_STOP_TIMEOUT)
                return

    def log_tail(self, lines: int = 25) -> str:
        if not self.error_log.exists():
            return "(no error log)"
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class GaleraCluster:
    nodes: list[GaleraNode]
    started_in: float = 0.0

    def cluster_size(self) -> int:
        for node in self.nodes:
            with contextlib.suppress(subprocess.CalledProcessError):
                return int(node.status("wsrep_cluster_size") or 0)
        return 0

    def restart(self, node: GaleraNode) -> None:
        """Back into the running cluster (by IST from the others' cache, or a full SST)."""
        node.start()
        self.wait_whole()

    def thaw(self, node: GaleraNode) -> None:
        """A frozen node resumes, finds itself evicted, and rejoins."""
        node.thaw()
        self.wait_whole()

    def wait_whole(self) -> None:
        """Until every node serves in one cluster of all of them. Each is asked: a node that
        thaws still takes itself for a Synced member until it learns it was evicted."""
        for node in self.nodes:
            node.wait_synced(cluster_size=len(self.nodes))


def _server_user() -> str:
    """mariadbd refuses to run as root unless told to; as root, the nodes run as mysql."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        return pwd.getpwnam("mysql").pw_name
    except KeyError:
        return "root"


@contextlib.contextmanager
def galera_cluster(size: int = 3) -> Iterator[GaleraCluster]:
    """A running cluster of `size` nodes, synced, under a temporary folder of its own (readable
    by the server's user, which pytest's are not); everything stopped and removed on exit, also
    when starting failed halfway."""
    provider = galera_provider()
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="authgate-galera-"))
    base.chmod(0o755)
    ports = free_ports(4 * size)
    nodes = [
        GaleraNode(
            index + 1,
            base / f"node{index + 1}",
            port=ports[4 * index],
            gcomm_port=ports[4 * index + 1],
            ist_port=ports[4 * index + 2],
            sst_port=ports[4 * index + 3],
        )
        for index in range(size)
    ]
    members = ",".join(f"127.0.0.1:{node.gcomm_port}" for node in nodes)
    cluster = GaleraCluster(nodes)
    started = time.monotonic()
    try:
        for node in nodes:
            node.write_config(provider, members, user)
        nodes[0].install()
        nodes[0].start(bootstrap=True)
        nodes[0].wait_synced()
        # TCP connections from the servers come as root@127.0.0.1 (no name resolution).
        nodes[0].sql(
            "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';"
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"
        )
        # One joiner at a time: a donor serves one state transfer at once.
        for node in nodes[1:]:
            node.start()
            node.wait_synced()
        cluster.started_in = time.monotonic() - started
        yield cluster
    finally:
        for node in reversed(nodes):
            node.kill()
        if not os.environ.get("GALERA_KEEP"):
            shutil.rmtree(base, ignore_errors=True)


def _run(*arguments: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own fixed arguments
        arguments, capture_output=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, arguments[0], done.stdout, done.stderr)
    return done.stdout.decode()
