"""``support seed-demo``: a database full of realistic agents, visitors, conversations,
messages, notes and ratings, so the admin pages and reports can be seen and timed.

Rows are written directly in batches (not through the chat services): the demo needs history
spread over past weeks, and thousands of conversations in seconds."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from .extensions import db
from .friendly_names import friendly_name
from .models import Agent, Conversation, Message, Visitor, new_id, utcnow
from .services import agents

DEMO_PASSWORD = "demo-password"  # noqa: S105 (printed for the demo; never a real account)
DEMO_AGENTS = [
    ("Grace Hopper", "grace@demo.example", True),
    ("Alan Turing", "alan@demo.example", False),
    ("Ada Lovelace", "ada@demo.example", False),
    ("Linus Pauling", "linus@demo.example", False),
    ("Katherine Johnson", "katherine@demo.example", False),
]
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sofia",
    "Mateo",
    "Aisha",
    "Yuki",
    "Chen",
    "Priya",
    "Lucas",
    "Fatima",
    "Jonas",
    "Zoe",
    "Omar",
    "Ines",
]
LAST_NAMES = [
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Silva",
    "Dubois",
    "Tanaka",
    "Patel",
    "Andersen",
    "Haddad",
    "Novak",
]
TOPICS = [
    (
        "Hi, I was charged twice for order #{n}. Can you refund one of them?",
        "I'm sorry about that! I can see the duplicate charge; the refund is on its way.",
    ),
    (
        "Where is my parcel? The tracking hasn't moved in three days.",
        "Let me check with the carrier. It's at the regional hub and should arrive tomorrow.",
    ),
    (
        "How do I reset my password? The email never arrives.",
        "I've resent it just now; please check your spam folder too.",
    ),
    ("Do you ship to Canada?", "Yes, we do! Delivery takes 5-7 working days."),
    (
        "Can I change the size on order #{n}? I need a medium instead.",
        "Done: your order now has the medium. Anything else?",
    ),
    (
        "Is the Pro plan billed monthly or yearly?",
        "Both are possible; yearly saves you two months.",
    ),
    (
        "The app crashes when I upload a photo.",
        "Thanks for reporting! Which phone and app version are you on?",
    ),
    (
        "I'd like to cancel my subscription.",
        "I can help with that. May I ask what made you decide to cancel?",
    ),
]
FOLLOW_UPS = [
    "Thanks a lot!",
    "Perfect, that's all.",
    "Great, thank you!",
    "OK, I'll wait.",
    "That was quick, thanks :)",
    "Hmm, still not working.",
]
NOTES = [
    "Customer since 2021, VIP.",
    "Escalated to billing.",
    "Checked: known bug #218.",
    "Offered a 10% voucher.",
]
RATING_WEIGHTS = [(5, 55), (4, 25), (3, 10), (2, 6), (1, 4)]


@dataclass(frozen=True)
class _Member:
    id: str
    name: str


def _demo_agents() -> list[Agent]:
    team = []
    for name, email, is_admin in DEMO_AGENTS:
        agent = agents.find_by_email(email) or agents.create_agent(
            email, name, DEMO_PASSWORD, is_admin=is_admin
        )
        team.append(agent)
    return team


def _conversation(rng: random.Random, team: list[_Member], now, days: int):
    """One conversation with its visitor and messages (not yet added to the session)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    created = now - timedelta(days=rng.uniform(0, days), seconds=rng.randint(0, 3600))
    named = rng.random() < 0.7
    local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore")
    email = f"{local.decode()}{rng.randint(1, 999)}@mail.example"
    visitor_id = new_id()
    visitor = Visitor(
        id=visitor_id,
        name=f"{first} {last}" if named else friendly_name(visitor_id),
        email=email if named else None,
        verified=named and rng.random() < 0.3,
        page_url="https://www.techsouls.example/pricing",
        locale=rng.choice(["en-US", "en-GB", "de-DE", "fr-FR"]),
        first_seen_at=created,
        last_seen_at=created,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0",
    )
    question, answer = rng.choice(TOPICS)
    order = rng.randint(1000, 9999)
    assignee = rng.choice(team) if rng.random() < 0.9 else None
    closed = assignee is not None and created < now - timedelta(hours=2) and rng.random() < 0.85
    conversation = Conversation(
        id=new_id(),
        visitor_id=visitor.id,
        created_at=created,
        assignee_id=assignee.id if assignee else None,
        status="closed" if closed else "open",
    )
    at = created
    script = [("visitor", question.format(n=order), False)]
    if assignee is not None:
        if rng.random() < 0.25:
            script.append(("agent", rng.choice(NOTES), True))
        script.append(("agent", answer, False))
        script.append(("visitor", rng.choice(FOLLOW_UPS), False))
    messages = []
    for seq, (sender, body, private) in enumerate(script, start=1):
        at = at + timedelta(seconds=rng.randint(5, 20) if seq == 1 else rng.randint(15, 900))
        is_agent = sender == "agent"
        messages.append(
            Message(
                conversation_id=conversation.id,
                seq=seq,
                client_id=f"seed-{seq}-{rng.getrandbits(48):x}",
                sender_type=sender,
                sender_id=assignee.id if is_agent and assignee else visitor.id,
                sender_name=assignee.name if is_agent and assignee else visitor.name,
                body=body,
                private=private,
                created_at=at,
            )
        )
        if is_agent and not private and conversation.first_response_at is None:
            conversation.first_response_at = at
    conversation.last_seq = len(messages)
    conversation.preview = messages[-1].body[:140] if not messages[-1].private else question
    conversation.last_message_at = conversation.updated_at = at
    if closed:
        conversation.closed_at = at + timedelta(minutes=rng.randint(1, 240))
        conversation.updated_at = conversation.closed_at
        if rng.random() < 0.6:
            stars = [s for s, _ in RATING_WEIGHTS]
            conversation.rating = rng.choices(stars, [w for _, w in RATING_WEIGHTS])[0]
    return visitor, conversation, messages


def seed_demo(count: int, *, days: int = 60, seed: int | None = None) -> dict:
    """Create the demo team (password ``demo-password``) and ``count`` conversations spread
    over the last ``days`` days. Returns what was made."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    team = [_Member(a.id, a.name) for a in _demo_agents()]
    now, messages_made = utcnow(), 0
    for start in range(0, count, 500):
        for _ in range(min(500, count - start)):
            visitor, conversation, messages = _conversation(rng, team, now, days)
            db.session.add_all([visitor, conversation, *messages])
            messages_made += len(messages)
        db.session.commit()
        db.session.expunge_all()
    return {
        "agents": len(team),
        "conversations": count,
        "messages": messages_made,
        "password": DEMO_PASSWORD,
    }
