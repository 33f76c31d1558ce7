"""The capacity page of a topology: who may see it, and what it hands its script."""

from __future__ import annotations

from django.test import Client

from playground.models import Topology


def test_it_shows_the_form_to_whoever_may_see_the_topology(
    client: Client, owner, outsider, make_topology
) -> None:
    topology = make_topology(Topology.PRIVATE)
    client.force_login(owner)
    page = client.get(f"/topologies/{topology.pk}/capacity/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-topology="{topology.pk}"' in html
    assert 'type="module" src="/static/js/capacity.js"' in html
    # No inline script: data travels in attributes, the code in static/js.
    assert "<script>" not in html
    client.force_login(outsider)
    assert client.get(f"/topologies/{topology.pk}/capacity/").status_code == 404


def test_a_link_topology_opens_with_its_key(client: Client, make_topology) -> None:
    topology = make_topology(Topology.LINK)
    assert client.get(f"/topologies/{topology.pk}/capacity/").status_code == 404
    page = client.get(f"/topologies/{topology.pk}/capacity/?key={topology.share_key}")
    assert page.status_code == 200
    assert f'data-key="{topology.share_key}"' in page.content.decode()


def test_the_editor_links_to_it(client: Client, owner, make_topology) -> None:
    topology = make_topology(Topology.PRIVATE)
    client.force_login(owner)
    html = client.get(f"/topologies/{topology.pk}/").content.decode()
    assert f'href="/topologies/{topology.pk}/capacity/"' in html
