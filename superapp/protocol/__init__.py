"""The host↔runtime protocol: typed control messages (``_control``) and run records.

Every message that crosses the control socket is a pydantic model here, decoded by the one
strict decoder ``decode_message``; ``PROTOCOL_VERSION`` travels in ``hello``.
"""

from superapp.protocol._bind import (
    Bind,
    GrantRow,
    GrantsQuery,
    GrantsReply,
    InboxItem,
    InboxQuery,
    InboxReply,
    Warm,
    refusing_rows,
)
from superapp.protocol._compaction import PageOut, SelfCompaction
from superapp.protocol._control import (
    MAX_MESSAGE_BYTES,
    MAX_NESTING,
    PROTOCOL_VERSION,
    Audit,
    Channel,
    ChannelClosedError,
    Confinement,
    ConfinementLayer,
    ConsentReply,
    ConsentRequest,
    Console,
    Hello,
    Lifecycle,
    Loaded,
    Message,
    Metrics,
    Notice,
    ShareAnswer,
    ShareRequest,
    Terminate,
    WindowState,
    decode_message,
)
from superapp.protocol._discard import MAX_SAVED_URL, PageSaved, Restore
from superapp.protocol._records import RunRecord

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_NESTING",
    "MAX_SAVED_URL",
    "PROTOCOL_VERSION",
    "Audit",
    "Bind",
    "Channel",
    "ChannelClosedError",
    "Confinement",
    "ConfinementLayer",
    "ConsentReply",
    "ConsentRequest",
    "Console",
    "GrantRow",
    "GrantsQuery",
    "GrantsReply",
    "Hello",
    "InboxItem",
    "InboxQuery",
    "InboxReply",
    "Lifecycle",
    "Loaded",
    "Message",
    "Metrics",
    "Notice",
    "PageOut",
    "PageSaved",
    "Restore",
    "RunRecord",
    "SelfCompaction",
    "ShareAnswer",
    "ShareRequest",
    "Terminate",
    "Warm",
    "WindowState",
    "decode_message",
    "refusing_rows",
]
