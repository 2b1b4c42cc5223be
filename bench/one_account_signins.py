"""Correct signins of one account, many at once: none may be refused because others were in
flight (README, "Races"). `python -m bench.one_account_signins http://127.0.0.1:8080`, against a
server with RATE_LIMITS=on; BENCH_CLIENTS concurrent clients (default 16) share BENCH_SIGNINS
signins (default 300) and every answer's status is counted.
"""

import asyncio
import collections
import os
import secrets
import sys
import time

import httpx

from bench.api import PASSWORD


async def _signins(base_url: str, clients: int, signins: int) -> collections.Counter[int]:
    username = f"one{secrets.token_hex(4)}"
    statuses: collections.Counter[int] = collections.Counter()
    body = {"username": username, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        signup = {**body, "email": f"{username}@bench.example.com"}
        (await client.post("/api/auth/signup", json=signup)).raise_for_status()
        left = iter(range(signins))

        async def one_client() -> None:
            async with httpx.AsyncClient(base_url=base_url, timeout=60) as own:
                for _ in left:
                    statuses[(await own.post("/api/auth/signin", json=body)).status_code] += 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return statuses


def main() -> int:
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    clients = int(os.environ.get("BENCH_CLIENTS", "16"))
    signins = int(os.environ.get("BENCH_SIGNINS", "300"))
    started = time.perf_counter()
    statuses = asyncio.run(_signins(base_url, clients, signins))
    seconds = time.perf_counter() - started
    refused = sum(count for status, count in statuses.items() if status != 200)
    print(f"{clients} clients, {sum(statuses.values())} signins of one account in {seconds:.1f} s")
    print(f"answers: {dict(sorted(statuses.items()))}; not 200: {refused}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
