"""docker-compose.yml as a deployment: it validates, its parts are wired to each other, and it
holds no secret of its own."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
FILLED = {
    "MAIL_DOMAIN": "mentoring.example.org",
    "MAIL_HOSTNAME": "mail.mentoring.example.org",
    "MAILBOX_PASSWORD": "mailbox-password-for-the-test",
    "POSTGRES_PASSWORD": "postgres-password-for-the-test",
    "MENTORMAIL_SECRET": "x" * 43,
    "RELAY_HOST": "smtp.provider.example",
    "RELAY_USER": "relay-user",
    "RELAY_PASSWORD": "relay-password-for-the-test",
}


def _example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines())
    return {key: value for key, value in (p for p in pairs if len(p) == 2) if key[0] != "#"}


def compose_config(tmp_path: Path, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with `.env.example` filled in with `values`."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is missing: ./scripts/test installs it")
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**_example(), **values}.items()))
    return subprocess.run(
        [binary, "--project-directory", str(ROOT), "--env-file", str(env_file), "config"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_compose_file_validates_and_wires_its_parts(tmp_path: Path) -> None:
    result = compose_config(tmp_path, FILLED)
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"postgres", "redis", "imap", "mta", "worker"}
    mta, worker = services["mta"], services["worker"]
    # Postfix is the MX, built with the configuration the tests run (deploy/postfix-main.cf).
    assert mta["build"]["dockerfile"] == "deploy/postfix/Dockerfile"
    dockerfile = (ROOT / "deploy/postfix/Dockerfile").read_text()
    assert "postfix" in dockerfile and "COPY deploy/postfix-main.cf" in dockerfile
    assert {(port["published"], port["target"]) for port in mta["ports"]} == {(25, 25)}
    assert {(port["published"], port["target"]) for port in services["imap"]["ports"]} == {
        (993, 993)
    }
    # The smarthost's settings reach Postfix.
    assert mta["environment"]["RELAY_HOST"] == "smtp.provider.example"
    assert mta["environment"]["RELAY_PASSWORD"] == FILLED["RELAY_PASSWORD"]
    # The worker sends through Postfix's submission port and reads Dovecot over TLS.
    environment = worker["environment"]
    assert re.fullmatch(r"smtp://mentorship:[^@]+@mta:587", environment["SMTP_URL"])
    imap_url = r"imaps://mentorship:[^@]+@mail\.mentoring\.example\.org:993/INBOX"
    assert re.fullmatch(imap_url, environment["IMAP_URL"])
    # That name is Dovecot's in the compose network, so its certificate is checked for it.
    assert services["imap"]["networks"]["default"]["aliases"] == [FILLED["MAIL_HOSTNAME"]]
    assert environment["MENTORMAIL_ADDRESS"] == "mentorship@mentoring.example.org"
    assert environment["MENTORMAIL_SECRET"] == FILLED["MENTORMAIL_SECRET"]
    assert set(worker["depends_on"]) == {"postgres", "redis", "imap", "mta"}
    assert worker["build"]["context"] == str(ROOT) and worker["command"] == ["mentormail", "run"]
    # Postfix splits tags where the worker writes them.
    delimiter = mta["environment"]["ADDRESS_DELIMITER"]
    assert delimiter == environment["MENTORMAIL_ADDRESS_DELIMITER"] == "+"
    # Postfix hands the service's mail to Dovecot's LMTP, and asks Dovecot who may log in.
    start = (ROOT / "deploy/postfix/start.sh").read_text()
    dovecot = (ROOT / "deploy/dovecot.conf").read_text()
    assert "virtual_transport = lmtp:inet:imap:24" in start
    assert "smtpd_sasl_path = inet:imap:12345" in start
    for port in (24, 12345):
        assert re.search(rf"inet_listener \w+ {{\s*port = {port}\s*}}", dovecot), port


def test_the_compose_file_holds_no_secret_and_refuses_to_run_without_them(
    tmp_path: Path,
) -> None:
    text = COMPOSE_FILE.read_text()
    for name in ("MENTORMAIL_SECRET", "MAILBOX_PASSWORD", "POSTGRES_PASSWORD", "RELAY_PASSWORD"):
        for default in re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text):
            assert not default.startswith((":-", "-")) or default in (":-", "-"), (name, default)
    assert "change-me" not in text and "transports.relay" not in text
    assert not (ROOT / "deploy/dovecot.users").exists(), "no password file in the repository"
    # Every variable the file reads is in .env.example, so nobody has to guess one.
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert used <= set(_example()), used - set(_example())
    for missing in ("MENTORMAIL_SECRET", "MAILBOX_PASSWORD", "POSTGRES_PASSWORD"):
        result = compose_config(tmp_path, {**FILLED, missing: ""})
        assert result.returncode != 0 and missing in result.stderr, (missing, result.stderr)
