"""/api/topologies: each call's success and refusal for the owner, a link holder and an outsider."""

from __future__ import annotations

import json

import pytest

from playground.models import Topology

pytestmark = pytest.mark.django_db

PRIVATE, LINK, PUBLIC = Topology.PRIVATE, Topology.LINK, Topology.PUBLIC


def test_it_creates_a_topology_and_answers_201_with_its_id(owner_api, document, owner):
    """A valid document is saved for its owner, private by default."""
    response = owner_api.post("/api/topologies", {"name": "Mine", "document": document})
    assert response.status_code == 201, response.content
    body = response.json()
    saved = Topology.objects.get(pk=body["id"])
    assert saved.owner == owner and saved.visibility == PRIVATE
    assert saved.document == document and saved.pattern == "load-balancing"
    assert (
        body["document"] == document
        and body["is_owner"] is True
        and body["share_key"] == saved.share_key
    )


def test_it_names_the_topology_after_its_document_when_no_name_is_given(owner_api, document):
    """The name defaults to the document's own name."""
    response = owner_api.post("/api/topologies", {"document": document, "visibility": "public"})
    assert response.status_code == 201
    assert response.json()["name"] == document["name"] and response.json()["visibility"] == "public"


def test_it_refuses_an_invalid_document_listing_every_problem_and_saves_nothing(
    owner_api, document
):
    """A refused document is a 400 naming each node or field, and no row is written."""
    document["nodes"][2]["instances"] = -1
    document["edges"].append({"from": "lb", "to": "nowhere"})
    response = owner_api.post("/api/topologies", {"name": "Bad", "document": document})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) >= 2
    # A problem on a node or an edge also has `at`, its location's parts (docs/api.md#errors).
    assert all(set(e) == {"path", "message", "at"} for e in errors)
    paths = " ".join(e["path"] for e in errors)
    assert '"api"' in paths or "nodes[2]" in paths
    assert "edges[2]" in paths
    assert Topology.objects.count() == 0


def test_it_gives_each_refused_item_its_location_beside_its_path(owner_api, document):
    """`at` has the parts of the path: list, index, id or ends, field; a top-level one has none."""
    document["seed"] = "x"
    document["nodes"][2]["service_time"] = {"dist": "exponential"}
    document["edges"][1]["latency_ms"] = -5
    response = owner_api.post("/api/topologies", {"name": "Bad", "document": document})
    assert response.status_code == 400
    errors = {e["path"]: e for e in response.json()["errors"]}
    assert set(errors["seed"]) == {"path", "message"}
    assert errors['nodes[2] "api".service_time.mean_ms']["at"] == {
        "where": "nodes", "index": 2, "name": "api", "field": "service_time", "sub": "mean_ms",
    }  # fmt: skip
    assert errors["edges[1] (lb -> api).latency_ms"]["at"] == {
        "where": "edges", "index": 1, "ends": ["lb", "api"], "field": "latency_ms",
    }  # fmt: skip


def test_it_requires_an_account_to_save(anon_api, document):
    """Saving needs an account: 401 with the Authorization path."""
    response = anon_api.post("/api/topologies", {"name": "x", "document": document})
    assert response.status_code == 401
    assert response.json()["errors"][0]["path"] == "Authorization"
    assert Topology.objects.count() == 0


def test_it_lists_mine_and_public_ones(owner_api, outsider_api, anon_api, make_topology, outsider):
    """A listing is the caller's topologies and the public ones; never another's private or link."""
    private, link, public = make_topology(PRIVATE), make_topology(LINK), make_topology(PUBLIC)
    theirs = make_topology(PRIVATE, user=outsider)
    assert {t["id"] for t in owner_api.get("/api/topologies").json()} == {
        private.pk,
        link.pk,
        public.pk,
    }
    assert {t["id"] for t in outsider_api.get("/api/topologies").json()} == {public.pk, theirs.pk}
    assert {t["id"] for t in anon_api.get("/api/topologies").json()} == {public.pk}


@pytest.mark.parametrize("visibility", [PRIVATE, LINK, PUBLIC])
def test_it_shows_the_owner_every_topology(owner_api, make_topology, visibility):
    """The owner reads their topology whatever its visibility."""
    topology = make_topology(visibility)
    response = owner_api.get(f"/api/topologies/{topology.pk}")
    assert response.status_code == 200
    assert response.json()["document"] == topology.document


def test_it_shows_a_link_topology_to_whoever_holds_the_key(
    collaborator_api, anon_api, make_topology
):
    """A link share opens with its key, read-only, and hides the key itself from non-owners."""
    topology = make_topology(LINK)
    for api in (collaborator_api, anon_api):
        response = api.get(f"/api/topologies/{topology.pk}?key={topology.share_key}")
        assert response.status_code == 200
        assert response.json()["share_key"] is None and response.json()["is_owner"] is False


@pytest.mark.parametrize("visibility", [PRIVATE, LINK])
def test_it_answers_404_to_an_outsider_for_a_topology_not_shared_with_them(
    outsider_api, anon_api, make_topology, visibility
):
    """Without the key, a private or link topology does not exist for others: 404, not 403."""
    topology = make_topology(visibility)
    for api in (outsider_api, anon_api):
        for path in ("", "/export", "/runs"):
            response = api.get(f"/api/topologies/{topology.pk}{path}")
            assert response.status_code == 404, path
            assert response.json()["errors"][0]["path"] == "id"


def test_it_refuses_a_wrong_share_key(outsider_api, make_topology):
    """A wrong key is no key."""
    topology = make_topology(LINK)
    assert outsider_api.get(f"/api/topologies/{topology.pk}?key=not-the-key").status_code == 404


def test_it_does_not_open_a_private_topology_with_its_share_key(outsider_api, make_topology):
    """Turning a share off (private) closes the link too."""
    topology = make_topology(PRIVATE)
    assert (
        outsider_api.get(f"/api/topologies/{topology.pk}?key={topology.share_key}").status_code
        == 404
    )


def test_it_shows_a_public_topology_to_everyone(outsider_api, anon_api, make_topology):
    """Public ones are readable by all."""
    topology = make_topology(PUBLIC)
    for api in (outsider_api, anon_api):
        assert api.get(f"/api/topologies/{topology.pk}").status_code == 200


def test_it_answers_404_for_a_topology_that_does_not_exist(owner_api):
    """A missing id is a 404 in the error shape."""
    response = owner_api.get("/api/topologies/999999")
    assert response.status_code == 404 and response.json()["errors"][0]["path"] == "id"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_it_lets_the_owner_update_a_topology(owner_api, make_topology, document, method):
    """The owner replaces the document (validated) and changes name and visibility."""
    topology = make_topology(PRIVATE)
    document["nodes"][2]["instances"] = 5
    response = getattr(owner_api, method)(
        f"/api/topologies/{topology.pk}",
        {"name": "Renamed", "document": document, "visibility": "link"},
    )
    assert response.status_code == 200, response.content
    topology.refresh_from_db()
    assert topology.name == "Renamed" and topology.visibility == LINK
    assert topology.document["nodes"][2]["instances"] == 5


def test_it_changes_only_the_given_fields_on_patch(owner_api, make_topology):
    """PATCH leaves out what it does not mention."""
    topology = make_topology(PRIVATE)
    response = owner_api.patch(f"/api/topologies/{topology.pk}", {"visibility": "public"})
    assert response.status_code == 200
    topology.refresh_from_db()
    assert topology.visibility == PUBLIC and topology.name == "private topology"


def test_it_refuses_an_invalid_update_and_keeps_the_old_document(
    owner_api, make_topology, document
):
    """An update that fails validation changes nothing, not even the name sent with it."""
    topology = make_topology(PRIVATE)
    before = json.dumps(topology.document, sort_keys=True)
    document["nodes"][1]["algorithm"] = "coin_toss"
    response = owner_api.put(
        f"/api/topologies/{topology.pk}", {"name": "New", "document": document}
    )
    assert response.status_code == 400
    assert any(
        "nodes[1]" in e["path"] or "algorithm" in e["path"] for e in response.json()["errors"]
    )
    topology.refresh_from_db()
    assert (
        json.dumps(topology.document, sort_keys=True) == before
        and topology.name == "private topology"
    )


def test_it_refuses_writes_from_a_link_collaborator_with_403(
    collaborator_api, make_topology, document
):
    """A link share is read-only: the collaborator can see it, so the refusal says why (403)."""
    topology = make_topology(LINK)
    key = topology.share_key
    assert (
        collaborator_api.patch(
            f"/api/topologies/{topology.pk}?key={key}", {"name": "x"}
        ).status_code
        == 403
    )
    assert (
        collaborator_api.put(
            f"/api/topologies/{topology.pk}?key={key}", {"document": document}
        ).status_code
        == 403
    )
    assert collaborator_api.delete(f"/api/topologies/{topology.pk}?key={key}").status_code == 403
    assert Topology.objects.filter(pk=topology.pk, name="link topology").exists()


def test_it_refuses_writes_on_a_public_topology_from_others_with_403(outsider_api, make_topology):
    """Public means readable, not writable."""
    topology = make_topology(PUBLIC)
    assert outsider_api.patch(f"/api/topologies/{topology.pk}", {"name": "x"}).status_code == 403
    assert outsider_api.delete(f"/api/topologies/{topology.pk}").status_code == 403


@pytest.mark.parametrize("visibility", [PRIVATE, LINK])
def test_it_answers_404_to_an_outsider_writing_a_topology_they_cannot_see(
    outsider_api, make_topology, document, visibility
):
    """Writes to what the outsider cannot see are 404 too."""
    topology = make_topology(visibility)
    assert outsider_api.patch(f"/api/topologies/{topology.pk}", {"name": "x"}).status_code == 404
    assert (
        outsider_api.put(f"/api/topologies/{topology.pk}", {"document": document}).status_code
        == 404
    )
    assert outsider_api.delete(f"/api/topologies/{topology.pk}").status_code == 404
    assert outsider_api.post(f"/api/topologies/{topology.pk}/fork").status_code == 404
    assert outsider_api.post(f"/api/topologies/{topology.pk}/runs").status_code == 404


def test_it_requires_an_account_to_update_or_delete(anon_api, make_topology):
    """Anonymous writes are 401 even on public topologies."""
    topology = make_topology(PUBLIC)
    assert anon_api.patch(f"/api/topologies/{topology.pk}", {"name": "x"}).status_code == 401
    assert anon_api.delete(f"/api/topologies/{topology.pk}").status_code == 401


def test_it_deletes_a_topology_for_its_owner(owner_api, make_topology):
    """DELETE is a 204 and the row is gone."""
    topology = make_topology(PRIVATE)
    assert owner_api.delete(f"/api/topologies/{topology.pk}").status_code == 204
    assert not Topology.objects.filter(pk=topology.pk).exists()


def test_it_exports_the_document_as_a_json_download(owner_api, collaborator_api, make_topology):
    """Export is the document itself, as a file, for the owner and link holders alike."""
    topology = make_topology(LINK)
    for api, query in ((owner_api, ""), (collaborator_api, f"?key={topology.share_key}")):
        response = api.get(f"/api/topologies/{topology.pk}/export{query}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["Content-Disposition"] == 'attachment; filename="link-topology.json"'
        assert json.loads(response.content) == topology.document


def test_it_forks_what_the_caller_can_see_into_a_private_copy(
    collaborator_api, collaborator, make_topology
):
    """A fork is a new private topology owned by the forker, pointing at its source."""
    topology = make_topology(LINK)
    response = collaborator_api.post(
        f"/api/topologies/{topology.pk}/fork?key={topology.share_key}", {"name": "Mine now"}
    )
    assert response.status_code == 201, response.content
    fork = Topology.objects.get(pk=response.json()["id"])
    assert (
        fork.owner == collaborator and fork.visibility == PRIVATE and fork.forked_from == topology
    )
    assert fork.name == "Mine now" and fork.document == topology.document
    # The fork is the collaborator's to change.
    assert (
        collaborator_api.patch(f"/api/topologies/{fork.pk}", {"name": "Changed"}).status_code == 200
    )


def test_it_names_a_fork_after_its_source_by_default(outsider_api, make_topology):
    """Unnamed, the fork is "<source> (fork)"; anyone logged in may fork a public topology."""
    topology = make_topology(PUBLIC)
    response = outsider_api.post(f"/api/topologies/{topology.pk}/fork")
    assert response.status_code == 201
    assert (
        response.json()["name"] == "public topology (fork)"
        and response.json()["forked_from"] == topology.pk
    )


def test_it_requires_an_account_to_fork(anon_api, make_topology):
    """A fork is saved, so it needs an account."""
    topology = make_topology(PUBLIC)
    assert anon_api.post(f"/api/topologies/{topology.pk}/fork").status_code == 401


def test_it_serves_an_openapi_description(anon_api):
    """/api/docs is the reference, and the schema lists the contract's paths."""
    assert anon_api.get("/api/docs").status_code == 200
    paths = anon_api.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/scenarios",
        "/api/topologies",
        "/api/topologies/{pk}",
        "/api/topologies/{pk}/runs",
        "/api/runs/{pk}",
        "/api/runs/{pk}/events",
        "/api/runs/{pk}/control",
        "/api/scenarios/{slug}/runs",
    ):
        assert path in paths, path
