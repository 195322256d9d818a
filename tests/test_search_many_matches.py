"""Search with thousands of matches takes other paths (the page walked in the order's index
among ids bound as one value; in "updated" order, per status): the same conversations, in the
same order, as a plain reading of the contract — every word in a message or note, or in the
visitor's name or email."""

from __future__ import annotations

import pytest

from support.cli_seed import seed_demo
from support.extensions import db
from support.models import Conversation, Message, Visitor
from support.services.search import WALK_FROM_MATCHES, Search, search_conversations


def expected(words: list[str], status: str | None, sort: str) -> list[str]:
    """The contract read plainly, in Python: ids in the list's order."""
    texts: dict[str, str] = {}
    for conversation_id, body in db.session.execute(
        db.select(Message.conversation_id, Message.body)
    ):
        texts[conversation_id] = texts.get(conversation_id, "") + "\n" + (body or "").lower()
    rows = db.session.execute(
        db.select(Conversation, Visitor).join(Visitor, Visitor.id == Conversation.visitor_id)
    )
    found = []
    for conversation, visitor in rows:
        haystacks = [texts.get(conversation.id, ""), (visitor.name or "").lower()]
        haystacks.append((visitor.email or "").lower())
        if status and conversation.status != status:
            continue
        if all(any(word.lower() in text for text in haystacks) for word in words):
            found.append(conversation)
    found.sort(key=lambda c: c.id)
    if sort == "updated":
        found.sort(key=lambda c: c.updated_at, reverse=True)
    else:
        found.sort(key=lambda c: c.created_at, reverse=sort == "newest")
    return [c.id for c in found]


@pytest.mark.parametrize(
    ("q", "status", "sort"),
    [
        ("thanks", None, "newest"),
        ("you", "closed", "oldest"),
        ("YOU the", None, "newest"),
        ("you a", None, "newest"),  # a word under three characters: scanned
        ("thanks", None, "updated"),  # the inbox's order: walked per status, merged
        ("you", "closed", "updated"),
    ],
)
def test_pages_with_thousands_of_matches_follow_the_contract(ctx, q, status, sort):
    seed_demo(7000, seed=7)
    want = expected(q.split(), status, sort)
    assert len(want) >= WALK_FROM_MATCHES  # the walking path, not the small one
    per_page = 50
    for page in (1, 3, len(want) // per_page + 1):
        items, total = search_conversations(
            Search(q=q, status=status, sort=sort, page=page, per_page=per_page)
        )
        assert total == len(want)
        start = (page - 1) * per_page
        assert [c.id for c in items] == want[start : start + per_page], page
