"""`lakescan report`: one self-contained page (rendered from data; and from a real demo run)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from jobs.report import render, score_color

DATA = {
    "run": {"run_id": "r1", "run_date": date(2026, 11, 24), "status": "SUCCEEDED", "message": None,
            "objects_in_scope": 10, "findings": 3},
    "buckets": [{"bucket": "hot", "sensitivity_score": 88, "label": "Sensitive", "objects_in_scope": 6,
                 "objects_classified": 6},
                {"bucket": "<cold>", "sensitivity_score": 1, "label": "Not sensitive", "objects_in_scope": 4,
                 "objects_classified": 2}],
    "findings_by_type": [{"finding_type": "SensitiveData:S3Object/Personal", "severity": "High", "findings": 3}],
    "skipped": [{"reason": "NOT_SAMPLED", "objects": 2}],
    "policy_findings": [{"bucket": "hot", "finding_type": "Policy:IAMUser/S3BucketPublic", "severity": "High",
                         "severity_score": 3, "trigger": "CHANGED", "description": "public"}],
}


def test_render_has_every_section_and_is_self_contained():
    html = render(DATA)
    for section in ("map", "findings", "coverage", "skipped", "policy"):
        assert f'id="{section}"' in html
    assert "<script" not in html and not re.search(r"(src|href)=", html)
    assert "&lt;cold&gt;" in html and "<cold>" not in html  # escaped
    assert html.index("data-bucket='hot'") < html.index("data-bucket='&lt;cold&gt;'")  # most sensitive first


def test_score_colors_follow_the_labels():
    assert score_color(-1) == "#34495e" and score_color(50) == "#95a5a6"
    assert score_color(99).startswith("hsl(0,") and score_color(1).startswith("hsl(140,")


@pytest.mark.spark
@pytest.mark.integration
def test_report_of_the_demo_run(spark, moto_server, s3_client, tmp_path_factory, tmp_path):
    from jobs import seed as seeding
    from jobs.report import write_report
    from tests.jobs.demo_run import DEMO_RUN_ID, demo_run

    demo = demo_run(spark, moto_server, s3_client, tmp_path_factory)
    path = write_report(spark, demo.cfg, str(tmp_path / "report.html"), DEMO_RUN_ID)
    with open(path) as fh:
        html = fh.read()
    for b in seeding.BUCKETS:
        assert f"data-bucket='{b}'" in html
    assert "Policy:IAMUser/S3BucketSharedExternally" in html and "SUCCEEDED" in html
    values = demo.manifest.all_values()
    assert not [v for v in values if len(v) >= 9 and v in html]


def test_report_renders_in_headless_chromium(tmp_path):
    """Screenshot the page in Debian's chromium: the sensitivity map's red and green tiles are drawn."""
    import shutil
    import subprocess

    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(render(DATA))
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,900",
                    f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1000, 900)
    pixels = list(img.getdata())

    def share(color, tol=40):
        return sum(all(abs(p[i] - color[i]) <= tol for i in range(3)) for p in pixels) / len(pixels)

    hot = Image.new("RGB", (1, 1), score_color(88)).getpixel((0, 0))
    cold = Image.new("RGB", (1, 1), score_color(1)).getpixel((0, 0))
    assert share(hot) > 0.005, "no sensitive (red) tile drawn"
    assert share(cold) > 0.005, "no not-sensitive (green) tile drawn"
    assert share((250, 250, 250), 3) > 0.3  # the page background: rendered, not blank or black


@pytest.mark.spark
@pytest.mark.integration
def test_report_command_writes_the_latest_run(spark, moto_server, s3_client, tmp_path_factory, tmp_path):
    from click.testing import CliRunner

    from jobs.cli import cli
    from tests.conftest import REPO
    from tests.jobs.demo_run import demo_run

    demo = demo_run(spark, moto_server, s3_client, tmp_path_factory)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", "--config", str(REPO / "conf" / "local.yaml"),
                                      "--set", f"output.warehouse={demo.cfg.output.warehouse}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "<h2 id=\"policy\">" in out.read_text()
