"""notebooks/findings.ipynb executes top to bottom on the tables of a real demo run."""
from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def test_findings_notebook_executes(spark, moto_server, s3_client, tmp_path_factory, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from tests.jobs.demo_run import demo_run

    demo = demo_run(spark, moto_server, s3_client, tmp_path_factory)
    overrides = [f"output.warehouse={demo.cfg.output.warehouse}", f"s3.endpoint_url={moto_server.endpoint_url}",
                 "spark.driver_memory=1g", "spark.master=local[1]"]
    monkeypatch.setenv("LAKESCAN_CONFIG", str(REPO / "conf" / "local.yaml"))
    monkeypatch.setenv("LAKESCAN_OVERRIDES", json.dumps(overrides))
    nb = nbformat.read(REPO / "notebooks" / "findings.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO / "notebooks")}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "top_sensitive_buckets:" in text and "acme-partner-share: SHARED_EXTERNALLY" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3
