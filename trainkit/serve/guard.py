"""What every request to the workbench must pass, and the headers every response gets.

The workbench runs on a machine that may be targeted, with the trainer's browser open
on other sites. So:
- a request whose `Host` is not the address the server listens on is refused (421), so a
  site whose name an attacker points at 127.0.0.1 (DNS rebinding) cannot read the pages;
- a request with an `Origin` other than the server's own is refused (403);
- every request that changes anything (POST, PUT, DELETE, PATCH) must carry this session's
  token in `X-Trainkit-Token` (403 without it): a page elsewhere cannot save or build;
- every response says: no remote source of any kind (Content-Security-Policy), no
  framing by other sites, no sniffing, no referrer, no caching.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass, field

UNSAFE = frozenset({"POST", "PUT", "DELETE", "PATCH"})
TOKEN_HEADER = "X-Trainkit-Token"

# The workbench's own pages: scripts, styles and images from the server itself, nothing else.
APP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# A previewed pack document (handout.html, slides.html): self-contained, as written by build;
# its own meta policy pins its one script by hash. It may only be framed by the workbench.
DOCUMENT_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def local_addresses() -> set[str]:
    """This machine's name and addresses (what a browser elsewhere puts in Host for a wildcard bind)."""
    name = socket.gethostname()
    found = {name}
    try:
        found |= {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except OSError:
        pass
    return found


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Guard:
    host: str
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def hosts(self) -> frozenset[str]:
        """The Host headers this server answers to: the address it listens on (and `localhost` for loopback)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        names = {f"{shown}:{self.port}"}
        if is_loopback(self.host) or self.host in WILDCARDS:
            names |= {f"localhost:{self.port}", f"127.0.0.1:{self.port}"}
        if self.host in WILDCARDS:  # every address of this machine, and its name
            names |= {f"[{a}]:{self.port}" if ":" in a else f"{a}:{self.port}" for a in local_addresses()}
        return frozenset(name.lower() for name in names)

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{name}" for name in self.hosts)

    @property
    def address(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"

    def refuse(self, method: str, host: str | None, origin: str | None, token: str | None, raw_path: str = "/") -> tuple[int, str] | None:
        """(status, reason) for a request that must be refused, else None."""
        if (host or "").lower() not in self.hosts:
            return 421, "this server answers only to its own address (" + ", ".join(sorted(self.hosts)) + ")"
        if origin is not None and origin not in self.origins:
            return 403, "requests from other sites are refused"
        if not plain_path(raw_path):
            return 400, "a request names things by id, never by path ('..', '/', '\\' or their encodings inside a name)"
        if method in UNSAFE and not (token and hmac.compare_digest(token.encode(), self.token.encode())):
            return 403, f"missing or wrong {TOKEN_HEADER}: reload the page and try again"
        return None


def plain_path(raw: str) -> bool:
    """No dot segment, no encoded slash or backslash, no backslash, no NUL: ids only."""
    path = raw.split("?", 1)[0]
    lowered = path.lower()
    if any(bad in lowered for bad in ("%2f", "%5c", "\\", "%00", "\x00", "%2e")):
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def security_headers(kind: str = "app") -> dict[str, str]:
    """kind: "app" (a workbench page), "framed" (a workbench page shown inside a preview frame)
    or "document" (a pack's own file, previewed)."""
    policy = {"app": APP_POLICY, "framed": APP_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")}.get(
        kind, DOCUMENT_POLICY
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Frame-Options": "DENY" if kind == "app" else "SAMEORIGIN",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }
