"""The Python helper of cedar_cdc's test harness; lib/cluster.sh beside it is the shell one.

Clusters are the ones lib/cluster.sh makes: they live under $CEDAR_RUN (default /tmp/cedar_cdc),
listen on 127.0.0.1 and on a socket in $CEDAR_RUN, and have a user postgres with trust auth.
Scripts import this module with

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
    import pgtest
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional, Union

CLUSTER_SH = Path(__file__).resolve().parent / "cluster.sh"
DEFAULT_RUN = "/tmp/cedar_cdc"
USER = "postgres"


def run_dir() -> Path:
    """The run directory: $CEDAR_RUN, else /tmp/cedar_cdc (as in lib/cluster.sh)."""
    return Path(os.environ.get("CEDAR_RUN") or DEFAULT_RUN)


class PsqlError(RuntimeError):
    """psql exited non-zero; the message names what ran and carries psql's error output."""

    def __init__(self, what: str, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        super().__init__(f"{what} failed (exit {returncode}):\n{stderr.strip() or stdout.strip()}")


def psql_argv(port: int, db: str = "postgres", *, host: Union[str, Path, None] = None,
              user: str = USER) -> list[str]:
    """psql -X with the connection to a cluster (host: default the socket in the run directory)."""
    return ["psql", "-X", "-h", str(host or run_dir()), "-p", str(port), "-U", user, "-d", db]


def recvlogical_argv(port: int, db: str = "postgres", *, host: Union[str, Path, None] = None,
                     user: str = USER) -> list[str]:
    """pg_recvlogical with the same connection as psql_argv."""
    return ["pg_recvlogical", "-h", str(host or run_dir()), "-p", str(port), "-U", user, "-d", db]


def psql(port: int, *args: str, db: str = "postgres", host: Union[str, Path, None] = None,
         user: str = USER, input: Optional[str] = None, env: Optional[dict] = None,
         check: bool = True, what: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs psql -X -v ON_ERROR_STOP=1 ARGS... (stdin: `input`, else none); env adds variables.

    Raises PsqlError when psql fails, unless check is false.
    """
    argv = psql_argv(port, db, host=host, user=user) + ["-v", "ON_ERROR_STOP=1", *args]
    p = subprocess.run(argv, input=input, stdin=subprocess.DEVNULL if input is None else None,
                       capture_output=True, text=True, encoding="utf-8",
                       env=dict(os.environ, **env) if env else None)
    if check and p.returncode != 0:
        raise PsqlError(what or f"psql -d {db} (port {port}) {' '.join(args)[:300]}",
                        p.returncode, p.stdout, p.stderr)
    return p


def query(port: int, sql: str, db: str = "postgres", **kw) -> str:
    """One command string (psql -q -A -t -c SQL): its output, without surrounding white space."""
    return psql(port, "-q", "-A", "-t", "-c", sql, db=db, **kw).stdout.strip()


class ClusterError(RuntimeError):
    pass


def _cluster_sh_run(function: str, *args: str, **kw) -> subprocess.CompletedProcess:
    """One of lib/cluster.sh's functions, run with bash in this run directory."""
    return subprocess.run(["bash", "-c", 'source "$0" && "$@"', str(CLUSTER_SH), function, *map(str, args)],
                          stdin=subprocess.DEVNULL, env=dict(os.environ, CEDAR_RUN=str(run_dir())), **kw)


def cluster_sh(function: str, *args: str) -> None:
    """Runs one of lib/cluster.sh's functions (cluster_start, cluster_stop, ...) with bash."""
    p = _cluster_sh_run(function, *args)
    if p.returncode != 0:
        raise ClusterError(f"lib/cluster.sh {function} {' '.join(map(str, args))} failed (exit {p.returncode})")


def server_path(path: Union[str, Path]) -> Path:
    """lib/cluster.sh's server_path: where the host reaches PATH as the server sees it (inside
    another major's root, the root's copy; for mounts the server must see)."""
    p = _cluster_sh_run("server_path", str(path), capture_output=True, text=True, check=True)
    return Path(p.stdout.strip())


class Cluster:
    """A throwaway cluster $CEDAR_RUN/NAME from lib/cluster.sh, for a `with` block.

    cluster_start NAME PORT [postgresql.conf lines...] on entry, cluster_stop NAME on exit.
    """

    def __init__(self, name: str, port: int, *conf: str):
        self.name, self.port, self.conf = name, port, conf

    def __enter__(self) -> "Cluster":
        cluster_sh("cluster_start", self.name, str(self.port), *self.conf)
        return self

    def __exit__(self, *exc) -> None:
        cluster_sh("cluster_stop", self.name)
