"""Log-in hook: hands the visitor's work over to the account (logic in services)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from mscomm.accounts.services import SESSION_KEY, workspace_claim


@receiver(user_logged_in, dispatch_uid="mscomm-claim-workspace")
def claim_visitor_workspace(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    # login() keeps an anonymous session's data (it only cycles the key).
    anonymous_id = request.session.pop(SESSION_KEY, None)
    workspace_claim(user=user, anonymous_id=anonymous_id)
