"""Friendly names for visitors who gave none: the server names them once, the same everywhere
(dashboard, admin, exports, search). Imports nothing of ours."""

from __future__ import annotations

ADJECTIVES = (
    "Amber Azure Bright Calm Clever Coral Cosmic Gentle Golden Happy Jade Kind Lucky Mellow "
    "Misty Noble Olive Plum Quiet Rapid Rosy Ruby Sage Silver Sunny Swift Teal Witty"
).split()
ANIMALS = (
    "Badger Bear Beaver Crane Dolphin Falcon Finch Fox Hare Heron Koala Lynx Marten Otter Owl "
    "Panda Puffin Raven Robin Seal Sparrow Swan Tiger Turtle Walrus Wolf Wren Yak"
).split()


def friendly_name(visitor_id: str) -> str:
    """A stable friendly name ("Coral Robin") for a visitor who gave none, derived from its id
    (FNV-1a, the hash the dashboard used before the server named visitors, so names agents
    already saw stay the same). Stored on the visitor, so search and exports see it too."""
    digest = 2166136261
    for char in visitor_id or "visitor":
        digest = ((digest ^ ord(char)) * 16777619) & 0xFFFFFFFF
    adjective = ADJECTIVES[digest % len(ADJECTIVES)]
    return f"{adjective} {ANIMALS[(digest // len(ADJECTIVES)) % len(ANIMALS)]}"


def visitor_name(visitor) -> str:
    """A visitor's name as agents see it everywhere: its own, or (after an erasure cleared the
    stored one) its friendly name again."""
    return visitor.name or friendly_name(visitor.id)
