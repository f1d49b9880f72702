"""Shareable page addresses and their QR codes, for students joining from a lecture hall."""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit, urlunsplit

import qrcode

from cnnviz import config

LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"}


def shareable_url(browser_url: str, query: dict[str, str | list[str]],
                  public_base: str | None = None) -> str:
    """The page's address with its query string, on the public base address when one is given."""
    parts = urlsplit(browser_url)
    scheme, netloc, path = parts.scheme or "http", parts.netloc, parts.path or "/"
    if public_base:
        base = urlsplit(public_base if "://" in public_base else f"http://{public_base}")
        scheme, netloc = base.scheme, base.netloc
        prefix = base.path.rstrip("/")
        if prefix and not path.startswith(prefix + "/") and path != prefix:
            path = prefix + path
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def public_base_from_env() -> str | None:
    """The base address from $CNNVIZ_PUBLIC_URL, or None when it is unset or blank."""
    return config.settings().public_url


def is_local_only(url: str) -> bool:
    """True when the address only works on the server machine itself (localhost)."""
    return (urlsplit(url).hostname or "").lower() in LOCAL_HOSTS


def qr_png(text: str, box_size: int = 8, border: int = 2) -> bytes:
    """A QR code of ``text`` as PNG bytes (error correction M: survives a projector's blur)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                         box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def client_address(direct: str | None, forwarded_for: str | None) -> str | None:
    """The browser's address (for class mode's join limit); None when unknown (local use).

    Streamlit gives no address for a peer on this machine: that is our HAProxy (option
    forwardfor), so the last X-Forwarded-For hop, the one it appended, is the browser's.
    """
    if direct:
        return direct
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    return hops[-1] if hops else None
