"""The DNS records to publish for the From domain: advice, as this machine may not see DNS.

Pure: the settings' domain and SMTP host in, lines of advice out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# SMTP hosts of the providers whose SPF domain is known: mail they relay passes SPF with it.
PROVIDERS = (
    (("office365.com", "outlook.com"), "include:spf.protection.outlook.com", "Microsoft 365"),
    (("gmail.com", "google.com", "googlemail.com"), "include:_spf.google.com", "Google"),
)


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    value: str
    why: str


def _spf_mechanism(relay_host: str) -> tuple[str, str]:
    """What names the relay in an SPF record, and how sure that is."""
    host = relay_host.lower().rstrip(".")
    for suffixes, mechanism, provider in PROVIDERS:
        if any(host == s or host.endswith("." + s) for s in suffixes):
            return mechanism, f"mail leaves through {provider}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (
            f"a:{host}",
            f"mail leaves through {host}; a provider documents an include: of its own, "
            "use that instead",
        )
    if address.is_loopback or address.is_private:
        return "mx", f"{host} is a local relay: name the public address it sends from"
    return f"ip{address.version}:{host}", f"mail leaves from {host}"


def records(service_address: str, relay_host: str | None, delimiter: str = "+") -> list[Record]:
    """SPF, DKIM, DMARC (and the MX replies need) for the service address's domain."""
    local, _, domain = service_address.rpartition("@")
    mechanism, spf_why = _spf_mechanism(relay_host) if relay_host else ("mx", "")
    return [
        Record(
            domain,
            "MX",
            "10 <the server that delivers to the IMAP mailbox>",
            f"replies to {local}{delimiter}…@{domain} must reach the mailbox IMAP_URL reads",
        ),
        Record(
            domain,
            "TXT",
            f"v=spf1 {mechanism} ~all",
            "SPF: which servers may send as this domain; " + (spf_why or "list your relay"),
        ),
        Record(
            f"<selector>._domainkey.{domain}",
            "TXT or CNAME",
            "<as your provider or relay gives it>",
            "DKIM: the relay signs; Microsoft 365 gives selector1/selector2 CNAMEs, Google "
            "a google._domainkey TXT, OpenDKIM the .txt opendkim-genkey writes",
        ),
        Record(
            f"_dmarc.{domain}",
            "TXT",
            f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}",
            "DMARC: start with p=none and read the reports; p=quarantine once SPF and DKIM pass",
        ),
    ]
