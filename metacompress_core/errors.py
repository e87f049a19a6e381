"""The one exception type for problems a user can cause and fix."""


class MetaCompressError(Exception):
    """A user-facing error: the message says what went wrong and what to do about it.

    Surfaces turn it into a message (CLI: stderr + non-zero exit; server: window/showMessage), never a crash.
    """
