"""The pages: who sees what (owner, link holder, outsider, anonymous), and what each renders."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from playground.models import Run, Scenario, Topology
from playground.topologies.views import first_sentence

FULL_PAGE = "<html"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def private(make_topology) -> Topology:
    return make_topology(Topology.PRIVATE)


@pytest.fixture
def linked(make_topology) -> Topology:
    return make_topology(Topology.LINK)


@pytest.fixture
def public(make_topology) -> Topology:
    return make_topology(Topology.PUBLIC)


def run_of(topology: Topology, user, **fields: Any) -> Run:
    return Run.objects.create(
        topology=topology, owner=user, document=topology.document, seed=7, speed=1.0,
        status=fields.pop("status", Run.FINISHED), **fields,
    )  # fmt: skip


# ---- the library -----------------------------------------------------------------------


def test_it_shows_the_library_to_anonymous_visitors(client: Client, scenarios) -> None:
    """Home lists every scenario, grouped by pattern, with a watch button for each."""
    response = client.get("/")
    assert response.status_code == 200
    for scenario in Scenario.objects.all():
        assert f'data-slug="{scenario.slug}"' in html(response)


def test_the_library_carries_each_scenarios_drawing_and_one_line(client: Client, scenarios) -> None:
    """Each card's drawing gets ids, kinds, labels and edge ends, nothing else of the document;
    the card shows the description's first sentence, the rest under "More about it"."""
    page = html(client.get("/"))
    match = re.search(
        r'<script id="scenario-drawings" type="application/json">(.*?)</script>', page
    )
    assert match
    drawings = json.loads(match[1])
    for scenario in Scenario.objects.all():
        drawn = drawings[scenario.slug]
        assert [n["id"] for n in drawn["nodes"]] == [n["id"] for n in scenario.document["nodes"]]
        assert all(set(n) <= {"id", "kind", "label"} for n in drawn["nodes"])
        assert len(drawn["edges"]) == len(scenario.document["edges"])
    assert first_sentence("One. Two three.") == "One."
    assert first_sentence("No stop at all") == "No stop at all"
    assert first_sentence("Costs 2.5 s per item. Then more.") == "Costs 2.5 s per item."
    assert 'data-filter="load-balancing"' in page


def test_it_lists_public_work_but_not_others_private_or_link_work(
    client: Client, outsider, private, linked, public
) -> None:
    """An outsider's home shows public topologies only; link and private ones stay unlisted."""
    client.force_login(outsider)
    page = html(client.get("/"))
    assert f"/topologies/{public.pk}/" in page
    assert f"/topologies/{private.pk}/" not in page
    assert f"/topologies/{linked.pk}/" not in page


def test_it_asks_anonymous_visitors_to_log_in_for_my_topologies(client: Client, db) -> None:
    """My topologies needs an account: anonymous visitors are sent to the login page."""
    response = client.get("/topologies/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_lists_only_the_users_own_topologies(
    client: Client, owner, outsider, private, make_topology
) -> None:
    """My topologies shows mine, not someone else's, even public."""
    theirs = make_topology(Topology.PUBLIC, user=outsider)
    client.force_login(owner)
    page = html(client.get("/topologies/"))
    assert f"/topologies/{private.pk}/" in page
    assert f"/topologies/{theirs.pk}/" not in page


# ---- the editor ------------------------------------------------------------------------


def test_it_opens_a_blank_editor_for_anyone(client: Client, db) -> None:
    """New topology works logged out, and asks to log in before saving."""
    page = html(client.get("/topologies/new/"))
    assert 'id="canvas"' in page and "Log in to save and run" in page


def test_it_opens_the_owners_topology_for_editing_with_its_share_link(
    client: Client, owner, linked
) -> None:
    """The owner edits in place and sees the share link of a link topology."""
    client.force_login(owner)
    response = client.get(f"/topologies/{linked.pk}/")
    page = html(response)
    assert response.status_code == 200
    assert f"/t/{linked.share_key}/" in page and 'id="btn-copy-share"' in page
    assert "Saving makes your own copy" not in page


def test_it_hides_the_share_link_of_a_private_topology(client: Client, owner, private) -> None:
    """A private topology's share row is hidden until its visibility lets a link in."""
    client.force_login(owner)
    page = html(client.get(f"/topologies/{private.pk}/"))
    assert 'id="share-row" hidden' in page


def test_it_hides_a_private_topology_from_an_outsider(client: Client, outsider, private) -> None:
    """Every page of a private topology is a 404 for an outsider: the editor and its runs."""
    client.force_login(outsider)
    assert client.get(f"/topologies/{private.pk}/").status_code == 404
    assert client.get(f"/topologies/{private.pk}/runs/").status_code == 404


def test_it_hides_a_link_topology_without_its_key(client: Client, collaborator, linked) -> None:
    """A link topology needs its key; with a wrong one it is a 404 too."""
    client.force_login(collaborator)
    assert client.get(f"/topologies/{linked.pk}/").status_code == 404
    assert client.get(f"/topologies/{linked.pk}/?key=wrong").status_code == 404
    assert client.get(f"/topologies/{linked.pk}/?key={linked.share_key}").status_code == 200


def test_it_shows_someone_elses_public_topology_read_only(client: Client, outsider, public) -> None:
    """A public topology opens for anyone as a copy to save, not for editing in place."""
    client.force_login(outsider)
    page = html(client.get(f"/topologies/{public.pk}/"))
    assert "Saving makes your own copy" in page and 'id="btn-copy-share"' not in page


# ---- link shares -----------------------------------------------------------------------


def test_it_opens_a_share_link_read_only_for_a_link_holder(
    client: Client, collaborator, linked
) -> None:
    """/t/<key>/ shows the topology to run as it is or fork; never its owner's share row."""
    client.force_login(collaborator)
    response = client.get(f"/t/{linked.share_key}/")
    page = html(response)
    assert response.status_code == 200
    assert "read-only" in page and 'id="btn-run-original"' in page
    assert f"/topologies/{linked.pk}/runs/?key={linked.share_key}" in page
    assert 'id="btn-copy-share"' not in page
    boot = json.loads(page.split('id="editor-boot" type="application/json">')[1].split("<")[0])
    assert boot["viewingId"] == linked.pk and boot["key"] == linked.share_key and boot["id"] is None


def test_it_opens_a_share_link_for_anonymous_visitors_without_a_run_button(
    client: Client, linked
) -> None:
    """Anonymous visitors may look and are asked to log in to save or run."""
    page = html(client.get(f"/t/{linked.share_key}/"))
    assert "read-only" in page and 'id="btn-run-original"' not in page
    assert "Log in to save and run" in page


def test_it_sends_the_owner_of_a_share_link_to_the_editor(client: Client, owner, linked) -> None:
    """The owner following their own link edits the topology."""
    client.force_login(owner)
    response = client.get(f"/t/{linked.share_key}/")
    assert response.status_code == 302 and response["Location"] == f"/topologies/{linked.pk}/"


def test_it_refuses_a_share_link_to_a_private_topology(client: Client, outsider, private) -> None:
    """A topology made private again: its old link is a 404, as is an unknown key."""
    client.force_login(outsider)
    assert client.get(f"/t/{private.share_key}/").status_code == 404
    assert client.get("/t/not-a-key/").status_code == 404


def test_it_lists_a_link_topologys_runs_for_a_key_holder(
    client: Client, owner, collaborator, linked
) -> None:
    """The runs list takes the key; its run links and its way back carry it."""
    run = run_of(linked, owner)
    client.force_login(collaborator)
    page = html(client.get(f"/topologies/{linked.pk}/runs/?key={linked.share_key}"))
    assert f"/runs/{run.pk}/?key={linked.share_key}" in page
    assert f"/t/{linked.share_key}/" in page


# ---- scenarios -------------------------------------------------------------------------


def test_it_forks_a_scenario_into_the_editor(client: Client, scenarios) -> None:
    """Fork opens the editor with the scenario's document and a "(fork)" name."""
    scenario = Scenario.objects.first()
    page = html(client.get(f"/scenarios/{scenario.slug}/fork/"))
    assert f"{scenario.name} (fork)" in page


def test_it_gives_a_404_for_an_unknown_scenario(client: Client, db) -> None:
    """A slug that is not in the library."""
    assert client.get("/scenarios/no-such-scenario/fork/").status_code == 404


# ---- the editor's side panel (htmx) ----------------------------------------------------


def post_panel(client: Client, document: dict[str, Any], **fields: str):
    data = {"document": json.dumps(document), **fields}
    return client.post("/editor/panel/", data, HTTP_HX_REQUEST="true")


def test_it_renders_the_panel_as_a_fragment_not_a_page(client: Client, document) -> None:
    """The htmx panel answers with the form alone; the editor itself is a full page."""
    response = post_panel(client, document, where="nodes", index="2", apply="0")
    assert response.status_code == 200
    assert FULL_PAGE not in html(response) and "<form" in html(response)
    assert FULL_PAGE in html(client.get("/topologies/new/"))


def test_it_puts_a_bad_value_on_its_field(client: Client, document) -> None:
    """A value the engine refuses comes back as an error on that field, and in the result."""
    response = post_panel(
        client, document, where="nodes", index="2", apply="1", **{"f:instances": "0"}
    )
    page = html(response)
    assert response.status_code == 200
    assert "field-error" in page or "errorlist" in page
    result = json.loads(page.split('id="panel-result" type="application/json">')[1].split("<")[0])
    assert any(p["field"] == "instances" and p["index"] == 2 for p in result["problems"])


def panel_result(page: str) -> dict[str, Any]:
    return json.loads(page.split('id="panel-result" type="application/json">')[1].split("<")[0])


def errors_of(page: str, field: str) -> str:
    """The text of a field's error list in the panel ("" when it has none)."""
    match = re.search(rf'<ul class="errorlist" id="err-{field}">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_it_puts_an_edge_field_error_under_its_field(client: Client, document) -> None:
    """An edge's refused latency is listed under that input, not among the panel's general errors.

    Its path, `edges[1] (lb -> api).latency_ms`, names the edge by its ends; the panel
    reads the location's parts (Problem.at), so the ends do not hide the field.
    """
    response = post_panel(
        client, document, where="edges", index="1", apply="1", **{"f:latency_ms": "-5"}
    )
    page = html(response)
    assert response.status_code == 200
    assert "must be a number &gt;= 0" in errors_of(page, "latency_ms")
    assert 'class="errorlist general"' not in page
    [problem] = panel_result(page)["problems"]
    assert problem["path"] == "edges[1] (lb -> api).latency_ms"
    assert (problem["where"], problem["index"], problem["field"]) == ("edges", 1, "latency_ms")


def test_it_names_the_part_of_a_duration_an_error_is_about(client: Client, document) -> None:
    """`service_time.mean_ms` is shown under Work per request, marked as its mean_ms."""
    document["nodes"][2]["service_time"] = {"dist": "exponential"}
    page = html(post_panel(client, document, where="nodes", index="2", apply="0"))
    assert 'data-sub="mean_ms"' in errors_of(page, "service_time")
    [problem] = panel_result(page)["problems"]
    assert (problem["field"], problem["sub"]) == ("service_time", "mean_ms")


def test_it_names_an_edge_end_it_has_no_input_for(client: Client, document) -> None:
    """An edge's bad end has no input in the panel: the general list says which end it is."""
    document["edges"][1]["to"] = "Not An Id"
    page = html(post_panel(client, document, where="edges", index="1", apply="0"))
    assert 'class="errorlist general"' in page and "To node: must be a node id" in page


def test_it_leaves_a_document_problem_off_every_item(client: Client, document) -> None:
    """A top-level problem is listed for the document, on no node or edge."""
    document["seed"] = "x"
    page = html(post_panel(client, document, where="nodes", index="0", apply="0"))
    [problem] = panel_result(page)["problems"]
    assert problem["path"] == "seed" and problem["where"] is None and problem["index"] is None
    assert "errorlist" not in page


def test_it_refuses_a_malformed_panel_request(client: Client, document) -> None:
    """Not JSON, an unknown list or an index out of range: a 400, and GET is not allowed."""
    assert (
        client.post("/editor/panel/", {"document": "{", "where": "nodes", "index": "0"}).status_code
        == 400
    )
    assert post_panel(client, document, where="faults", index="0").status_code == 400
    assert post_panel(client, document, where="nodes", index="9").status_code == 400
    assert client.get("/editor/panel/").status_code == 405


# ---- the run view ----------------------------------------------------------------------


def test_it_shows_the_owner_a_run_with_its_explanation(client: Client, owner, private) -> None:
    """The run view shows the topology's description in "What to watch" and the owner's controls."""
    private.description = "Watch the queue on api#2 grow."
    private.save()
    run = run_of(private, owner)
    client.force_login(owner)
    page = html(client.get(f"/runs/{run.pk}/"))
    assert "What to watch" in page and "Watch the queue on api#2 grow." in page
    boot = json.loads(page.split('id="run-boot" type="application/json">')[1].split("<")[0])
    assert boot["owner"] is True


def test_it_explains_a_scenario_run_with_the_scenarios_description(
    client: Client, owner, scenarios
) -> None:
    """A scenario run's box carries the library's explanation of it."""
    scenario = Scenario.objects.get(slug="media-processing-pipeline")
    run = Run.objects.create(scenario=scenario, owner=owner, document=scenario.document, seed=1)
    client.force_login(owner)
    page = html(client.get(f"/runs/{run.pk}/"))
    assert scenario.description.split("\n")[0][:60] in page.replace("<br>", "\n")


def test_it_shows_a_link_topologys_run_to_a_key_holder_without_controls(
    client: Client, owner, collaborator, linked
) -> None:
    """With the key a link holder watches the owner's run; it is not theirs to control."""
    run = run_of(linked, owner)
    client.force_login(collaborator)
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    page = html(client.get(f"/runs/{run.pk}/?key={linked.share_key}"))
    boot = json.loads(page.split('id="run-boot" type="application/json">')[1].split("<")[0])
    assert boot["owner"] is False and boot["key"] == linked.share_key


def test_it_hides_a_private_run_from_an_outsider_and_anonymous(
    client: Client, owner, outsider, private
) -> None:
    """Someone else's run of a private topology is a 404, logged in or not."""
    run = run_of(private, owner)
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    client.force_login(outsider)
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    assert client.get("/runs/999999/").status_code == 404


def test_it_lets_an_anonymous_visitor_watch_their_own_scenario_run(
    client: Client, scenarios
) -> None:
    """A run started by this browser session is theirs, with controls; another session's is not."""
    scenario = Scenario.objects.first()
    client.get("/")
    session = client.session
    session["seen"] = True
    session.save()
    run = Run.objects.create(
        scenario=scenario, document=scenario.document, seed=1, session_key=session.session_key
    )
    page = html(client.get(f"/runs/{run.pk}/"))
    boot = json.loads(page.split('id="run-boot" type="application/json">')[1].split("<")[0])
    assert boot["owner"] is True
    assert Client().get(f"/runs/{run.pk}/").status_code == 404


def test_it_tells_the_weights_and_steps_widgets_which_nodes_there_are(
    client: Client, document
) -> None:
    """A balancer's targets (its `when: ok` edges) and an orchestrator's called and other
    nodes ride on the field as JSON data attributes (static/js/fieldwidgets.js), escaped."""
    document["nodes"].append({"id": "alt", "kind": "service"})
    document["edges"] += [
        {"from": "lb", "to": "alt", "when": "error"},
        {"from": "lb", "to": "api"},  # drawn twice: named once
    ]
    page = html(post_panel(client, document, where="nodes", index="1", apply="0"))
    assert 'data-widget="weights" data-targets="[&quot;api&quot;]"' in page
    document["nodes"].append({"id": "orch", "kind": "orchestrator", "steps": []})
    document["edges"].append({"from": "orch", "to": "api"})
    page = html(post_panel(client, document, where="nodes", index="4", apply="0"))
    assert 'data-widget="steps" data-targets="[&quot;api&quot;]"' in page
    nodes = re.search(r'data-field="steps"[^>]*data-nodes="([^"]*)"', page)
    assert nodes and json.loads(nodes.group(1).replace("&quot;", '"')) == [
        "users",
        "lb",
        "api",
        "alt",
    ]
