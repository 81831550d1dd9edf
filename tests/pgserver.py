"""A throwaway PostgreSQL server for the tests: initialised in a temporary directory,
listening on a Unix socket in that directory and on a free loopback port, stopped and
deleted at the end.

Uses the server binaries of Debian's ``postgresql`` package (``.ci/run`` installs it).
PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` system
user that the package creates. ``BOOKKEEPER_TEST_PG`` may instead name a server to use
(an admin URL such as ``postgresql+psycopg://me:pw@host/postgres``): then nothing is
started.

Run it alone to get a server for trying the app by hand::

    python tests/pgserver.py      # prints the URL, stops on ctrl+c
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

USER = "bookkeeper"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str
    root: Path | None = None
    _run_as: dict = field(default_factory=dict)
    _bindir: Path | None = None

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def admin(self):
        """An autocommit psycopg connection to the ``postgres`` database."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database (a copy of the database *template* if given; nobody may be
        connected to that one)."""
        name = name or f"t_{secrets.token_hex(6)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin() as con:
            con.execute(f'CREATE DATABASE "{name}"{copy}')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.root is None or self._bindir is None:
            return
        subprocess.run(
            [
                str(self._bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
            **self._run_as,
        )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def from_env() -> Server | None:
    """The server named by ``BOOKKEEPER_TEST_PG``, if any."""
    url = os.environ.get("BOOKKEEPER_TEST_PG")
    if not url:
        return None
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return Server(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or USER,
        password=u.password or "",
    )


def start() -> Server:
    """Initialise and start a private server; raise :class:`ServerUnavailable` if impossible."""
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise ServerUnavailable(
            "no PostgreSQL server binaries (pg_ctl, initdb) found; install Debian's "
            "'postgresql' package (apt-get install postgresql) or set BOOKKEEPER_TEST_PG "
            "to an admin URL of a server"
        )
    run_as: dict = {}
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ServerUnavailable(
                "running as root and there is no 'postgres' user to run the server as "
                "(PostgreSQL refuses root)"
            ) from exc
        run_as = {"user": pw.pw_uid, "group": pw.pw_gid}
    # BOOKKEEPER_PG_TMP: where .ci/run wants its servers (it stops what is left there).
    # Under pytest-xdist each worker starts a server of its own (the fixture is per session,
    # that is per worker): the folder names the worker, the port is free when chosen.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    prefix = f"bookkeeper-pg-{worker}-" if worker else "bookkeeper-pg-"
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("BOOKKEEPER_PG_TMP")))
    password = secrets.token_urlsafe(12)
    try:
        if run_as:
            os.chown(root, run_as["user"], run_as["group"])
        pwfile = root / "pw"
        pwfile.write_text(password + "\n")
        if run_as:
            os.chown(pwfile, run_as["user"], run_as["group"])
        data = root / "data"
        init = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=False,
            **run_as,
        )
        if init.returncode:
            raise ServerUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        # Another process (another xdist worker's server) may take the port between its
        # choice and the server's bind: then a new port, a few times.
        for _attempt in range(3):
            port = _free_port()
            opts = (
                f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            started = subprocess.run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                capture_output=True,
                text=True,
                check=False,
                **run_as,
            )
            log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
            if not started.returncode or "could not bind" not in log:
                break
        if started.returncode:
            raise ServerUnavailable(
                f"the server did not start: {started.stderr.strip()[-300:]} {log[-500:]}"
            )
    except ServerUnavailable:
        shutil.rmtree(root, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise ServerUnavailable(f"could not set up a server ({exc})") from exc
    return Server("127.0.0.1", port, USER, password, root=root, _run_as=run_as, _bindir=bindir)


if __name__ == "__main__":  # pragma: no cover - a developer's convenience
    server = start()
    name = server.create_database("bookkeeper")
    print(server.url(name), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
