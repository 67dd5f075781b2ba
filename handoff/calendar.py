"""Private iCalendar feed of a worker's appointments, without anything sensitive."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from icalendar import Calendar, Event

from .models import Booking

MODE_WORDS = {"phone": "phone", "face_to_face": "face to face", "video": "video"}


def worker_feed(bookings: Iterable[Booking], now: dt.datetime) -> bytes:
    """An .ics body: time and mode only — no names, needs or contact details, since feeds leak."""
    calendar = Calendar()
    calendar.add("prodid", "-//Handoff service//Worker appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "My appointments")
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.id}@handoff")
        event.add("dtstamp", now)
        event.add("dtstart", booking.start_at)
        event.add("dtend", booking.end_at)
        event.add("summary", f"Appointment ({MODE_WORDS.get(booking.mode, booking.mode)})")
        event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
