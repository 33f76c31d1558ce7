"""Starting a run: the limits are checked against what is really still queued or running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from playground.models import Run
from playground.refusals import Refused
from playground.runs import reaper
from playground.runs.launch import launch

# Not transactional: on_commit never fires, so nothing is handed to a runner here.
pytestmark = pytest.mark.django_db


def test_it_frees_the_slot_a_lost_queued_run_held(document, limits) -> None:
    """A visitor whose only run was lost in the queue can start another: it is reaped first."""
    stuck = Run.objects.create(document=document, seed=1, session_key="visitor-session")
    Run.objects.filter(pk=stuck.pk).update(
        created=timezone.now() - timedelta(seconds=reaper.queue_timeout() + 5)
    )
    run = launch(document, user=AnonymousUser(), session_key="visitor-session")
    stuck.refresh_from_db()
    assert stuck.status == Run.FAILED and run.status == Run.QUEUED


def test_it_still_counts_a_run_queued_a_moment_ago(document, limits) -> None:
    """A fresh queued run holds its slot: the visitor's limit of one still applies."""
    Run.objects.create(document=document, seed=1, session_key="visitor-session")
    with pytest.raises(Refused) as refused:
        launch(document, user=AnonymousUser(), session_key="visitor-session")
    assert refused.value.problems[0].path == "runs"
