"""The bottleneck flag holds still between close stages and moves when it should."""

from __future__ import annotations

FEED = """async (ticks) => {
  const { StageView } = await import('/static/js/stageview.js');
  const doc = { nodes: [
    { id: 'src', kind: 'source', rate: 5 },
    { id: 'a', kind: 'filter' }, { id: 'b', kind: 'filter' }, { id: 'out', kind: 'sink' } ] };
  const root = document.createElement('section');
  root.innerHTML = '<div data-stage-table></div>';
  document.body.append(root);
  const view = StageView.mount(root, doc, {});
  const shown = [];
  ticks.forEach((leader, i) => {
    const hot = (id) => ({ backlog: 5, bottleneck: leader === id });
    const nodes = { a: hot('a'), b: hot('b') };
    view.push({ type: 'metrics', t: (i + 1) * 1000, nodes });
    view.render();
    const row = root.querySelector('tr.is-bottleneck');
    shown.push(row ? row.dataset.stage : null);
  });
  return shown;
}"""


def test_it_keeps_the_flag_steady_while_two_stages_trade_places(app, page):
    """Alternating leaders never move the flag; three ticks in a row for one stage do."""
    page.goto(app.url + "/")
    shown = page.evaluate(
        FEED, ["a", "a", "a", "b", "a", "b", "a", "b", "b", "b", None, None, None]
    )
    assert shown == [
        None,
        None,
        "a",
        "a",
        "a",
        "a",
        "a",
        "a",
        "a",
        "b",
        "b",
        "b",
        None,
    ]
    assert not page.js_errors
