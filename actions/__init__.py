"""Rasa action server: triage logic, summary composition, calls to the handoff service."""
