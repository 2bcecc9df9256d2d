"""The host's answers to what a runtime asks of its user: consent and share (DESIGN §5).

Both are answered from the host's own records (the registry, the verified bundle) and the
app id this host launched, never from what the runtime says about itself beyond which
capability, the reason and the receiver.
"""

from __future__ import annotations

from superapp.audit import AuditLog
from superapp.core.consent import ConsentAnswer, as_answer
from superapp.core.errors import SuperappError
from superapp.core.paths import Paths, is_valid_app_id
from superapp.host._app import ConsentFn, RunningApp, ShareConfirmFn
from superapp.host._prompt import build_prompt
from superapp.protocol import (
    ChannelClosedError,
    ConsentReply,
    ConsentRequest,
    ShareAnswer,
    ShareRequest,
)

__all__ = ["answer_consent", "answer_share"]


def answer_consent(paths: Paths, consent: ConsentFn, app: RunningApp, req: ConsentRequest) -> None:
    prompt = build_prompt(paths, app.app_id, req.capability, req.reason, app.dev_src)
    answer = as_answer(consent(prompt))  # a broken prompt function still answers "deny"
    if answer is ConsentAnswer.ALLOW_ALWAYS and prompt_may_persist(paths, app, req):
        # The host records "allow always" itself: a runtime never writes grants (issue 14).
        from superapp.state.grants import GrantStore

        with GrantStore(paths.registry_db) as store:
            store.grant(app.app_id, req.capability, source="consent")
    try:
        app.channel.send(ConsentReply(request_id=req.request_id, answer=answer))
    except ChannelClosedError:
        pass


def prompt_may_persist(paths: Paths, app: RunningApp, req: ConsentRequest) -> bool:
    """Only a capability the app declares is ever written as granted (a runtime could ask
    about any name; the grant rule would ignore an undeclared row, but it is not written)."""
    from superapp.host._bind import declared_capabilities

    return req.capability in declared_capabilities(paths, app.app_id, app.dev_src)


def answer_share(
    paths: Paths, audit: AuditLog, confirm: ShareConfirmFn, app: RunningApp, req: ShareRequest
) -> None:
    """``share.send``: the receiver must be installed, the user must confirm, and the
    sender is the app this host launched (never a name from the page)."""
    from superapp.state import inbox, registry

    outcome = "declined"
    if not is_valid_app_id(req.to) or req.to == app.app_id:
        outcome = "invalid"
    else:
        try:
            receiver = registry.get_app(paths, req.to)
        except SuperappError:
            outcome = "unknown_app"
        else:
            if confirm(app.app_id, receiver.name, req.to):
                try:
                    inbox.deliver(paths, app.app_id, req.to, req.data)
                    outcome = "delivered"
                except inbox.InboxFullError:
                    outcome = "inbox_full"
                except ValueError:
                    outcome = "invalid"
    audit.record(
        "share.send", app_id=app.app_id,
        outcome="success" if outcome == "delivered" else "failure",
        reason=outcome, to=req.to, bytes=len(req.data),
    )  # fmt: skip
    try:
        app.channel.send(ShareAnswer(request_id=req.request_id, outcome=outcome))
    except ChannelClosedError:
        pass
