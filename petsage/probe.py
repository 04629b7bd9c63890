"""``petsage probe``: one HTTP GET with the standard library, for images without curl."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

from petsage.settings import Settings

READINESS_PATH = "/api/v1/health/ready"


def default_url(settings: Settings) -> str:
    """The local readiness endpoint: the address the server listens on, a wildcard as loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}{READINESS_PATH}"


def _summary(body: bytes) -> str:
    # A health document's status and output, when the body is one.
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    return " ".join(str(document[k]) for k in ("status", "output") if k in document)


def probe(url: str, timeout: float) -> tuple[bool, str]:
    """GET ``url``: whether it answered 2xx, and one line saying what happened."""
    if not url.startswith(("http://", "https://")):
        return False, f"{url}: not an http:// or https:// URL"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        return False, f"{url}: unreachable: {reason}"
    line = f"{url}: {status} {_summary(body)}".rstrip()
    return 200 <= status < 300, line
