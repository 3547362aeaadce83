"""The market report page: self-contained (no script, no external reference), every number
written as text with its metric name, text escaped."""

from __future__ import annotations

import re

from sxp_common.audience_report import ReportData, render_report

DATA = ReportData(
    name="fitness-tiktok", description="Fitness <creators> & coaches", criteria_hash="ab" * 32,
    version=3, generated_at="2026-12-03 15:00:00 UTC", members=7,
    size_history=[("2026-12-01 10:00:00", 4), ("2026-12-02 10:00:00", 7)],
    by_platform={"tiktok": 5, "x": 2}, by_tribe={"fitness_wellness": 6, "unassigned": 1},
    by_tier={"mid": 4, "micro": 3}, confidence={"0.8-0.9": 5, "no label": 2},
    enrichment={"ENRICHED": 3, "FAILED": 1, "NONE": 3}, spend_usd=1.5)


def test_the_page_needs_nothing_outside_itself() -> None:
    page = render_report(DATA)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"(src|href)=", page)
    assert page.count("<svg") == 6


def test_every_number_is_on_the_page_under_its_metric_and_text_is_escaped() -> None:
    page = render_report(DATA)
    for metric, value in [("members", "7"), ("enriched", "3"), ("yield", "75.0%"),
                          ("spend_usd", "$1.50"), ("platform:tiktok", "5"), ("tier:micro", "3"),
                          ("tribe:fitness_wellness", "6"), ("confidence:no label", "2"),
                          ("size:2026-12-02 10:00:00", "7"), ("enrichment:FAILED", "1")]:
        assert f'data-metric="{metric}">{value}<' in page, metric
    assert "Fitness &lt;creators&gt; &amp; coaches" in page


def test_an_empty_audience_still_renders() -> None:
    page = render_report(ReportData("empty", "", "cd" * 32, 1, "now", 0))
    assert 'data-metric="yield">n/a<' in page and "no snapshots yet" in page
