"""docker-compose.yml: the services a deployment needs, wired to each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_every_part_of_the_service_is_there() -> None:
    assert set(compose()["services"]) >= {"postgres", "redis", "imap", "smtp", "worker"}


def test_the_worker_reaches_each_server_by_its_service_name() -> None:
    services = compose()["services"]
    env = services["worker"]["environment"]
    wiring = {
        "DATABASE_URL": ("postgres", 5432, "postgres"),
        "REDIS_URL": ("redis", 6379, "redis"),
        "SMTP_URL": ("smtp", 25, "smtp"),
        "IMAP_URL": ("imap", 143, "imap"),
    }
    for variable, (host, port, scheme_start) in wiring.items():
        url = urlsplit(env[variable])
        assert url.scheme.startswith(scheme_start), variable
        assert url.hostname == host and url.port == port, variable
        assert host in services, variable
        assert host in services["worker"]["depends_on"], variable
    assert services["worker"]["command"] == ["mentormail", "run"]


def test_database_credentials_match_the_postgres_service() -> None:
    services = compose()["services"]
    url = urlsplit(services["worker"]["environment"]["DATABASE_URL"])
    pg = services["postgres"]["environment"]
    assert (url.username, url.password, url.path.lstrip("/")) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )


def test_smtp_delivers_into_the_mailbox_the_worker_reads() -> None:
    services = compose()["services"]
    command = services["smtp"]["command"]
    lmtp_host = command[command.index("--lmtp-host") + 1]
    lmtp_port = command[command.index("--lmtp-port") + 1]
    domain = command[command.index("--domain") + 1]
    assert lmtp_host == "imap"
    dovecot = (ROOT / "deploy" / "dovecot.conf").read_text()
    assert "lmtp" in dovecot.split("protocols =")[1].splitlines()[0]
    assert f"port = {lmtp_port}" in dovecot
    env = services["worker"]["environment"]
    imap = urlsplit(env["IMAP_URL"])
    users = (ROOT / "deploy" / "dovecot.users").read_text()
    assert f"{imap.username}:{{PLAIN}}{imap.password}" in users
    assert env["MENTORMAIL_ADDRESS"] == f"{imap.username}@{domain}"


def test_images_are_built_from_this_repository() -> None:
    services = compose()["services"]
    assert services["worker"]["build"] == "." and services["smtp"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile and "COPY templates" in dockerfile


def test_the_relay_strips_the_tag_the_worker_writes() -> None:
    services = compose()["services"]
    command = services["smtp"]["command"]
    delimiter = command[command.index("--delimiter") + 1]
    assert delimiter == services["worker"]["environment"]["MENTORMAIL_ADDRESS_DELIMITER"]
    assert delimiter.startswith("${MENTORMAIL_ADDRESS_DELIMITER")
