"""Security headers on every answer, and `no_store` for views whose answer shows a secret once."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, after_this_request, request

# Only the panel's own files: no inline script or style (templates, the SVG charts and the QR
# code use classes and presentation attributes only), no plugins, no framing, forms post only
# here. No page shows a data: image, so img-src needs no exception either.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# One year; without includeSubDomains, since names below the panel's may be members' sites
# that are not (yet) served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Browsers ignore HSTS over plain HTTP; behind a proxy, ProxyFix (PANEL_PROXY_COUNT) makes
    # is_secure follow the proxy's X-Forwarded-Proto.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def _forbid_storing(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    # For HTTP/1.0 caches, which know no Cache-Control.
    response.headers["Pragma"] = "no-cache"
    return response


def no_store(view: Callable) -> Callable:
    """For a view that shows a secret once (a password, a token, codes): no cache, the
    browser's history included, may keep its answer, whatever the answer turns out to be."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        after_this_request(_forbid_storing)
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
