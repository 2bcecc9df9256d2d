"""The control channel: moved to ``superapp.protocol`` (this name stays for old imports)."""

from superapp.protocol._control import (
    MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES,
)
from superapp.protocol._control import (
    PROTOCOL_VERSION as PROTOCOL_VERSION,
)
from superapp.protocol._control import (
    Audit as Audit,
)
from superapp.protocol._control import (
    Channel as Channel,
)
from superapp.protocol._control import (
    ChannelClosedError as ChannelClosedError,
)
from superapp.protocol._control import (
    ConsentReply as ConsentReply,
)
from superapp.protocol._control import (
    ConsentRequest as ConsentRequest,
)
from superapp.protocol._control import (
    Hello as Hello,
)
from superapp.protocol._control import (
    Loaded as Loaded,
)
from superapp.protocol._control import (
    Message as Message,
)
from superapp.protocol._control import (
    Metrics as Metrics,
)
from superapp.protocol._control import (
    Notice as Notice,
)
from superapp.protocol._control import (
    ShareAnswer as ShareAnswer,
)
from superapp.protocol._control import (
    ShareRequest as ShareRequest,
)
from superapp.protocol._control import (
    Terminate as Terminate,
)
from superapp.protocol._control import (
    _Msg as _Msg,
)
from superapp.protocol._control import (
    decode_message as decode_message,
)
