"""Run a command against a throwaway PostgreSQL cluster on 127.0.0.1.

    python -m tests.pg_cluster -- pytest ...

Creates a cluster in a temporary directory, starts it on a free port, runs the command with
DATABASE_URL pointing at it, then stops the cluster and removes it, whatever happened.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        sys.exit(f"PostgreSQL's {name} is missing: sudo apt-get install -y postgresql")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_cluster_owner(command: list[str]) -> list[str]:
    # initdb refuses to run as root, so a root caller runs the cluster as `postgres`.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        sys.exit(__doc__)
    workdir = tempfile.mkdtemp(prefix="leadbook-pg-")
    datadir = os.path.join(workdir, "data")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = _free_port()
    pg_ctl = _pg_bin("pg_ctl")
    try:
        subprocess.run(_as_cluster_owner([
            _pg_bin("initdb"), "-D", datadir, "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        ]), check=True, stdout=subprocess.DEVNULL)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_cluster_owner([
            pg_ctl, "-D", datadir, "-o", options, "-l", os.path.join(workdir, "log"), "-w",
            "start",
        ]), check=True, stdout=subprocess.DEVNULL)
        env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/leadbook"}
        print(f"PostgreSQL test cluster on 127.0.0.1:{port}", flush=True)
        return subprocess.run(argv, env=env).returncode
    finally:
        subprocess.run(_as_cluster_owner([pg_ctl, "-D", datadir, "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
