"""PagerDuty REST API v2 over aiohttp: auth headers, pagination, rate limits, retries, plain-words errors."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import aiohttp

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000

Params = Sequence[tuple[str, str | int]]


class PagerDutyError(Exception):
    """Something went wrong talking to PagerDuty; str() is safe to show to a person."""


class PagerDutyAuthError(PagerDutyError):
    """401: the key or token is not (or no longer) valid."""


class PagerDutyScopeError(PagerDutyError):
    """403: the credential works but may not read this (missing scope or permission)."""


class PagerDutyNotFound(PagerDutyError):
    """404: the object does not exist (a deleted schedule, say)."""


class PagerDutyRequestError(PagerDutyError):
    """400-class answer other than auth: our request was not acceptable."""


class PagerDutyUnavailable(PagerDutyError):
    """PagerDuty could not be reached or kept failing (timeouts, 5xx, rate limit beyond patience)."""


class PagerDutyListTooLong(PagerDutyError):
    """A classic list holds more than PagerDuty lets anyone page through (offset + limit <= 10,000)."""

    def __init__(self, path: str, total: int | None):
        self.path, self.total = path, total
        counted = f"{total:,} items" if total is not None else f"more than {MAX_OFFSET_PLUS_LIMIT:,} items"
        super().__init__(
            f"PagerDuty lists {counted} at {path}, more than its {MAX_OFFSET_PLUS_LIMIT:,}-item paging limit"
        )


class Credentials(Protocol):
    """Supplies the Authorization header; OAuth credentials can refresh on demand."""

    kind: str  # "api_key" | "oauth"

    async def authorization(self, force_refresh: bool = False) -> str: ...


class StaticApiKey:
    kind = "api_key"

    def __init__(self, key: str):
        self._key = key

    async def authorization(self, force_refresh: bool = False) -> str:
        return f"Token token={self._key}"


class PagerDutyClient:
    """A REST client: reads, and the one write Round Robin makes (a schedule override). Requests run
    one at a time per client, as PagerDuty advises."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_rate_limit_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._session = session
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_retries = max_retries
        self._max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self._serial = asyncio.Lock()
        self.requests_made = 0
        self.rate_limited = 0

    async def get(self, path: str, params: Params = ()) -> dict[str, Any]:
        async with self._serial:
            return await self._get_with_retries(path, list(params))

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """One write. Never retried after it may have reached PagerDuty (a timeout, a 5xx): it may
        have been applied, and a second override would be a second entry in the schedule. A 429 is
        waited out (nothing was applied), and an OAuth token refreshed once after a 401."""
        async with self._serial:
            refreshed = False
            rate_waited = 0.0
            while True:
                try:
                    return await self._post_once(path, body, force_refresh=refreshed)
                except _Retry as retry:
                    if not retry.rate_limited or rate_waited + retry.wait > self._max_rate_limit_wait:
                        raise PagerDutyUnavailable(retry.reason) from None
                    self.rate_limited += 1
                    rate_waited += retry.wait
                    await self._sleep(retry.wait)
                except PagerDutyAuthError:
                    if refreshed or self._credentials.kind != "oauth":
                        raise
                    refreshed = True

    async def _post_once(self, path: str, body: dict[str, Any], force_refresh: bool) -> Any:
        headers = {
            "Authorization": await self._credentials.authorization(force_refresh),
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }
        self.requests_made += 1
        try:
            async with self._session.post(
                self._base + path,
                data=json.dumps(body),
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                answer = await response.read()
                if response.status in (200, 201):
                    try:
                        return json.loads(answer)
                    except ValueError:
                        raise _Retry("PagerDuty sent an answer that is not JSON") from None
                return _interpret(response.status, response.headers, answer, path)
        except (TimeoutError, aiohttp.ClientError) as e:
            reason = (
                "PagerDuty did not answer in time"
                if isinstance(e, TimeoutError)
                else "PagerDuty could not be reached"
            )
            raise _Retry(reason) from None

    async def paginate(
        self, path: str, key: str, params: Params = (), limit: int = MAX_LIMIT, *, count: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every object of a classic (offset) paginated list, following `more`.

        PagerDuty answers no page past offset + limit = 10,000: a longer list raises
        PagerDutyListTooLong instead of ending short. With `count`, the first page asks for the
        total, so a list that long is refused before anything is yielded and the caller can narrow
        the query (fewer ids, a shorter window) without having read a page in vain.
        """
        offset = 0
        while True:
            counting = [("total", "true")] if count and offset == 0 else []
            page = await self.get(path, [*params, *counting, ("limit", limit), ("offset", offset)])
            total = page.get("total")
            if counting and isinstance(total, int) and total > MAX_OFFSET_PLUS_LIMIT:
                raise PagerDutyListTooLong(path, total)
            for item in page.get(key, []):
                yield item
            if not page.get("more"):
                return
            offset += limit
            if offset + limit > MAX_OFFSET_PLUS_LIMIT:
                raise PagerDutyListTooLong(path, total if isinstance(total, int) else None)

    async def _get_with_retries(self, path: str, params: list[tuple[str, str | int]]) -> dict[str, Any]:
        refreshed = False
        failures = 0
        rate_waited = 0.0
        while True:
            try:
                return await self._get_once(path, params, force_refresh=False)
            except _Retry as retry:
                if retry.rate_limited:
                    self.rate_limited += 1
                    rate_waited += retry.wait
                    if rate_waited > self._max_rate_limit_wait:
                        raise PagerDutyUnavailable(
                            "PagerDuty kept answering 'rate limit exceeded'; the next sync will try again"
                        ) from None
                    log.info("pagerduty rate limited", extra={"path": path, "wait_seconds": retry.wait})
                    await self._sleep(retry.wait)
                    continue
                failures += 1
                if failures > self._max_retries:
                    raise PagerDutyUnavailable(retry.reason) from None
                await self._sleep(min(8.0, 0.5 * 2 ** (failures - 1)) * (1 + random.random() / 4))
            except PagerDutyAuthError:
                if refreshed or self._credentials.kind != "oauth":
                    raise
                # An access token can die before its expiry (revoked, clock skew): refresh once.
                refreshed = True
                await self._credentials.authorization(force_refresh=True)

    async def _get_once(
        self, path: str, params: list[tuple[str, str | int]], force_refresh: bool
    ) -> dict[str, Any]:
        headers = {
            "Authorization": await self._credentials.authorization(force_refresh),
            "Accept": ACCEPT,
        }
        self.requests_made += 1
        try:
            async with self._session.get(
                self._base + path,
                params=params,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                body = await response.read()
                return _interpret(response.status, response.headers, body, path)
        except (TimeoutError, aiohttp.ClientError) as e:
            # ClientError includes an answer that is not HTTP (a bad status line from a proxy).
            reason = (
                "PagerDuty did not answer in time"
                if isinstance(e, TimeoutError)
                else "PagerDuty could not be reached"
            )
            raise _Retry(reason) from None


class _Retry(Exception):
    def __init__(self, reason: str, wait: float = 0.0, rate_limited: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.rate_limited = rate_limited


def _interpret(status: int, headers: Any, body: bytes, path: str) -> dict[str, Any]:
    if status == 200:
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if not isinstance(value, dict):  # every v2 answer is an object; callers read it with .get
            raise _Retry("PagerDuty sent an answer that is not a JSON object")
        return value
    if status == 429:
        raise _Retry("rate limited", wait=_reset_seconds(headers), rate_limited=True)
    if status == 408 or status >= 500:
        raise _Retry(f"PagerDuty had a problem (HTTP {status})")
    message = _error_message(body)
    if status == 401:
        # 401 bodies are sometimes HTML: never rely on them.
        raise PagerDutyAuthError("PagerDuty rejected the credentials (HTTP 401)")
    if status == 403:
        raise PagerDutyScopeError(
            f"PagerDuty refused access to {path} (HTTP 403){': ' + message if message else ''}"
        )
    if status == 404:
        raise PagerDutyNotFound(f"PagerDuty has no {path} (HTTP 404)")
    raise PagerDutyRequestError(
        f"PagerDuty refused the request to {path} (HTTP {status}){': ' + message if message else ''}"
    )


def _reset_seconds(headers: Any) -> float:
    """`ratelimit-reset` is seconds until the window resets; PagerDuty sends no Retry-After."""
    try:
        return max(0.5, min(60.0, float(headers.get("ratelimit-reset", ""))))
    except ValueError:
        return 5.0


def _error_message(body: bytes) -> str:
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, dict):
        details = error.get("errors") or []
        return "; ".join([str(error.get("message", ""))] + [str(d) for d in details]).strip("; ")
    return str(error or "")[:300]
