"""Thin HTTP client for the handoff service's API v1 (the service owns all storage)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

import aiohttp

from actions.settings import Settings

logger = logging.getLogger(__name__)


class HandoffUnavailable(Exception):
    """The handoff service did not answer in time, or failed on its side."""


class SlotTaken(Exception):
    """Someone else booked that slot first."""


class HandoffRejected(Exception):
    """The service refused the request as invalid (a bug on our side, not the resident's)."""


class HandoffClient:
    def __init__(self, settings: Optional[Settings] = None) -> None:
        self._settings = settings or Settings.from_env()

    async def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None,
                    params: Optional[Dict[str, str]] = None) -> Any:
        timeout = aiohttp.ClientTimeout(total=self._settings.handoff_timeout)
        headers = {"Authorization": f"Bearer {self._settings.handoff_token}"}
        try:
            async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
                async with session.request(
                    method, self._settings.handoff_url + path, json=body, params=params
                ) as response:
                    if response.status == 409:
                        raise SlotTaken(path)
                    if response.status >= 500:
                        raise HandoffUnavailable(f"{method} {path}: HTTP {response.status}")
                    if response.status >= 400:
                        # the body names the field; it never holds the resident's words
                        detail = (await response.text())[:300]
                        logger.error("handoff service refused %s %s: %s %s",
                                     method, path, response.status, detail)
                        raise HandoffRejected(f"{method} {path}: HTTP {response.status}")
                    return await response.json()
        # asyncio.TimeoutError is not the builtin TimeoutError before Python 3.11 (Rasa's is 3.10):
        # a slow service must give a kind answer, not a crashed action
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as error:
            raise HandoffUnavailable(f"{method} {path}: {type(error).__name__}") from error

    async def match(self, needs: List[str], resident: Dict[str, str],
                    language: Optional[str] = None,
                    modes: Optional[List[str]] = None) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"needs": needs, "resident": resident,
                                "max_workers": 3, "max_slots": 4}
        if language:
            body["language"] = language
        if modes:
            body["modes"] = modes
        return (await self._call("POST", "/api/v1/match", body))["workers"]

    async def book(self, booking: Dict[str, Any]) -> Dict[str, Any]:
        return await self._call("POST", "/api/v1/bookings", booking)

    async def store_handoff(self, handoff: Dict[str, Any]) -> Dict[str, Any]:
        return await self._call("POST", "/api/v1/handoffs", handoff)

    async def update_handoff(self, handoff_id: str, changes: Dict[str, Any]) -> Dict[str, Any]:
        return await self._call("PATCH", f"/api/v1/handoffs/{handoff_id}", changes)

    async def upcoming(self, resident: Dict[str, str]) -> Optional[Dict[str, Any]]:
        found = await self._call("GET", "/api/v1/residents/upcoming", params=resident)
        return found.get("booking")

    async def cancel(self, booking_id: Any) -> Dict[str, Any]:
        return await self._call("POST", f"/api/v1/bookings/{booking_id}/cancel", {})

    async def move(self, booking_id: Any, start: str) -> Dict[str, Any]:
        return await self._call("POST", f"/api/v1/bookings/{booking_id}/move", {"start": start})

    async def raise_urgent(self, alert: Dict[str, Any]) -> Dict[str, Any]:
        return await self._call("POST", "/api/v1/urgent", alert)

    async def erase(self, conversation_id: str) -> Dict[str, Any]:
        """ "Delete my data": the service erases its records and then Rasa's tracker events."""
        return await self._call("POST", "/api/v1/erasures", {"conversation_id": conversation_id})

    async def handoffs(self, conversation_id: str) -> List[Dict[str, Any]]:
        return await self._call("GET", "/api/v1/handoffs", params={"conversation_id": conversation_id})
