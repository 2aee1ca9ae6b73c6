"""sse.py — reading the dashboard's live updates (GET /api/events, a
text/event-stream) in the dashboard tests."""
import json


def next_list(resp, check_line=None):
    """The data of the stream's next `incidents` event, as JSON; None once
    the stream ends.  check_line, if given, sees that event's data line
    whole (without its newline) before it is parsed."""
    kind = None
    while True:
        line = resp.readline()
        if not line:
            return None
        if line.startswith(b"event: "):
            kind = line[7:].strip()
        elif line.startswith(b"data: ") and kind == b"incidents":
            if check_line:
                check_line(line[:-1])
            return json.loads(line[6:])
