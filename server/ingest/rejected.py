"""The one exception every ingest check raises: a stable code and a sentence for the quarantine."""


class Rejected(Exception):
    """A message failed a check; `code` goes to `Quarantine.reason_code`, `reason` to the row and ack."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
