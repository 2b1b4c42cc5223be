"""Headers on every answer, errors and preflights included: the browser must never sniff a JSON
error into a script or a page, and, once configured, must keep to HTTPS. The outermost layer
(entrypoints/http/observe.py) adds them to each answer's start, with its request id."""

Header = tuple[bytes, bytes]


def security_headers(hsts_max_age: int) -> list[Header]:
    headers = [(b"x-content-type-options", b"nosniff")]
    if hsts_max_age:
        headers.append((b"strict-transport-security", b"max-age=%d" % hsts_max_age))
    return headers
