"""User-facing errors: one line that says what is wrong and how to fix it."""


class DAError(Exception):
    """Bad input or an impossible setting. The CLI prints ``error: <message>`` and exits 2."""


class TrainingFailed(DAError):
    """Training could not go on (a non-finite loss, say); the run is recorded as failed."""
