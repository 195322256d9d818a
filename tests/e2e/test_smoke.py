"""The smallest whole round trip through a real server."""


def test_visitor_and_agent_round_trip(server):
    agent = server.agent("alice")
    visitor = server.visitor(name="Vera")
    try:
        ack = visitor.ok("message:send", {"client_id": "c1", "body": "Hello there"})
        conversation = ack["conversation"]
        assert ack["message"]["seq"] == 1
        agent.wait_for("conversation:new", lambda c: c["id"] == conversation["id"])
        agent.wait_for("message:new", lambda m: m["body"] == "Hello there")
        reply = agent.ok("message:send", {"conversation_id": conversation["id"], "client_id": "r1", "body": "Hi Vera"})
        assert reply["message"]["seq"] == 2
        got = visitor.wait_for("message:new", lambda m: m["body"] == "Hi Vera")
        assert got["sender"]["type"] == "agent"
    finally:
        agent.close()
        visitor.close()
