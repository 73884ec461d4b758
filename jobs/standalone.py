"""A real Spark standalone cluster on 127.0.0.1 (a master and N workers), and spark-submit to it.

Used by the cluster tests and `make bench`: the packaged job (`make package`) is submitted as it
would be on EMR (`spark-submit --py-files lakescan-pyfiles.zip lakescan_main.py scan ...`), with
Delta configured by spark-submit flags the way a cluster provides it, not by the session factory.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jobs import jars
from jobs.s3 import _port_open, free_port

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


class StandaloneCluster:
    """`with StandaloneCluster(workers=2) as c: c.submit([...])` - stopped and cleaned up on exit."""

    def __init__(self, workdir: Path, workers: int = 2, cores_per_worker: int = 1,
                 memory_per_worker: str = "2g") -> None:
        self.workdir = Path(workdir)
        self.workers = workers
        self.cores = cores_per_worker
        self.memory = memory_per_worker
        self.port = free_port()
        self.procs: list[subprocess.Popen] = []

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1",
                    PYSPARK_PYTHON=sys.executable, SPARK_NO_DAEMONIZE="1")

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(spark_home() / "bin" / "spark-class"), *args], stdout=log,
                                stderr=subprocess.STDOUT, env=self._env(), start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 90.0) -> StandaloneCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(self.port), "--webui-port", str(free_port())])
        self._wait(lambda: _port_open("127.0.0.1", self.port), timeout, "master")
        for i in range(self.workers):
            self._spawn(f"worker-{i}", [
                "org.apache.spark.deploy.worker.Worker", self.master_url, "--host", "127.0.0.1",
                "--cores", str(self.cores), "--memory", self.memory, "--webui-port", str(free_port()),
                "--work-dir", str(self.workdir / f"work-{i}")])
        self._wait(self._all_workers_registered, timeout, "workers")
        return self

    def _all_workers_registered(self) -> bool:
        log = (self.workdir / "master.log").read_text(errors="replace")
        return log.count("Registering worker") >= self.workers

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"standalone {what} exited early; see {self.workdir}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"standalone {what} not ready after {timeout}s; see {self.workdir}")
            time.sleep(0.3)

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.procs[1:]]

    def submit_command(self, pyfiles: Path, main: Path, job_args: list[str],
                       extra_conf: dict[str, str] | None = None) -> list[str]:
        conf = {**DELTA_CONF, "spark.pyspark.python": sys.executable,
                "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": str(max(2, self.workers * self.cores)),
                "spark.executor.memory": "1g", "spark.databricks.delta.snapshotPartitions": "2",
                **(extra_conf or {})}
        cmd = [str(spark_home() / "bin" / "spark-submit"), "--master", self.master_url,
               "--jars", ",".join(jars.local_jars()), "--py-files", str(pyfiles)]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        return [*cmd, str(main), *job_args]

    def submit(self, pyfiles: Path, main: Path, job_args: list[str], timeout: float = 900,
               extra_conf: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.submit_command(pyfiles, main, job_args, extra_conf), env=self._env(),
                              capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs.clear()

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
