"""What /metrics shows from its first scrape: every family with its help text, and every series
whose label values are known in advance (CONTRACT.md, "Operations")."""

from prometheus_client.parser import text_string_to_metric_families

from application.common.outcomes import (
    RateLimitName,
    RefreshOutcome,
    SigninOutcome,
    UnavailableCause,
)

FAMILIES = {
    "authgate_signins",
    "authgate_refreshes",
    "authgate_throttled",
    "authgate_unavailable",
    "authgate_hashing_wait_seconds",
    "authgate_http_requests",
    "authgate_http_request_duration_seconds",
    "authgate_gc_pause_seconds",
}
KNOWN_SERIES = {
    "authgate_signins_total": ("outcome", [outcome.value for outcome in SigninOutcome]),
    "authgate_refreshes_total": ("outcome", [outcome.value for outcome in RefreshOutcome]),
    "authgate_throttled_total": ("limit", [str(limit) for limit in RateLimitName]),
    "authgate_unavailable_total": ("kind", [str(cause) for cause in UnavailableCause]),
}


def help_texts(text: str) -> dict[str, str]:
    return {family.name: family.documentation for family in text_string_to_metric_families(text)}


def known_series(text: str) -> dict[str, dict[str, float]]:
    """Each known series' value by its label value, as `text` shows them."""
    found: dict[str, dict[str, float]] = {name: {} for name in KNOWN_SERIES}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in KNOWN_SERIES:
                label = KNOWN_SERIES[sample.name][0]
                found[sample.name][sample.labels[label]] = sample.value
    return found
