"""Handoff service: named workers, bookable slots and warm handoff summaries."""
