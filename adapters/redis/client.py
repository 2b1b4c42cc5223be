from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def create_redis(url: str, timeout: float) -> Redis:
    """A client whose every call answers or fails within `timeout`: no retries, because a
    request waits for them, and what fails is handled once, where the caller decides."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
