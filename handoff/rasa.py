"""Calls from background jobs into Rasa (reminders, erasure); the Rasa side owns the wording."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from .jobs import Fail, JobContext, Retry

# Worth trying again: Rasa restarting (5xx), a timeout, or being asked to slow down.
RETRY_STATUSES = {408, 429}


def base_url(ctx: JobContext) -> str:
    if not ctx.settings.rasa_url:
        raise Fail("RASA_URL not set")
    return ctx.settings.rasa_url.rstrip("/")


async def post(
    ctx: JobContext, url: str, body: dict[str, Any], headers: dict[str, str] | None = None, retry_any_4xx: bool = False
) -> None:
    """POST JSON: 2xx returns; connection errors, timeouts and 5xx raise Retry; other 4xx Fail.

    Error texts name the status or the error type only: the URL holds a conversation id and a token.
    """
    try:
        async with ctx.http.post(url, json=body, headers=headers) as response:
            status = response.status
            await response.read()
    except TimeoutError:
        raise Retry("Rasa did not answer in time") from None
    except aiohttp.ClientError as exc:
        raise Retry(f"Rasa unreachable: {type(exc).__name__}") from None
    if 200 <= status < 300:
        return
    if status >= 500 or status in RETRY_STATUSES or retry_any_4xx:
        raise Retry(f"Rasa answered HTTP {status}")
    raise Fail(f"Rasa answered HTTP {status}")


async def execute_action(ctx: JobContext, conversation_id: str, channel: str | None, action: str) -> None:
    """POST /conversations/{id}/execute (Rasa HTTP API) so the bot speaks first on the resident's channel.

    An action, not an external intent: an intent would have to appear in Rasa's rules, which
    puts it into the NLU classifier's label set and changes the trained model for nothing.
    """
    url = (
        f"{base_url(ctx)}/conversations/{quote(conversation_id, safe='')}/execute"
        f"?output_channel={quote(channel or 'latest', safe='')}"
    )
    if ctx.settings.rasa_api_token:
        url += f"&token={quote(ctx.settings.rasa_api_token, safe='')}"
    await post(ctx, url, {"name": action})
