"""lakescan: find sensitive data in S3 data lakes with Apache Spark."""
import os

from setuptools import Extension, find_packages, setup

# The newest pyspark + delta-spark pairs whose jars resolve (README "Versions and why").
SPARK4 = ["pyspark==4.2.0", "delta-spark==4.4.0"]
SPARK35 = ["pyspark==3.5.9", "delta-spark==3.3.2"]
# Compiled per-item loops of the detector engine (detectors/_speedups.c). Optional: without a C compiler the
# build goes on and the engine runs the pure-Python code it replaces (same results). LAKESCAN_PURE_PYTHON=1
# leaves it out (`make package` does, for a py3-none-any wheel that any cluster can install).
EXTENSIONS = [] if os.environ.get("LAKESCAN_PURE_PYTHON") == "1" else [
    Extension("detectors._speedups", ["detectors/_speedups.c"], optional=True),
]
TEST = [
    "pyarrow>=15",
    "great-expectations>=1.0",
    "chispa>=0.10",
    "pytest>=8",
    "pytest-timeout>=2.3",
    "moto[server]>=5.0",
    "ruff>=0.5",
    "wheel>=0.43",
    "nbclient>=0.10",
    "nbformat>=5.10",
    "ipykernel>=6.29",
    "matplotlib>=3.8",
]

setup(
    name="lakescan",
    version="0.1.0",
    description="Self-hosted sensitive-data discovery for S3 data lakes on Apache Spark",
    python_requires=">=3.11",
    packages=find_packages(include=["detectors", "detectors.*", "jobs", "jobs.*"]),
    package_data={"detectors": ["rules/*.yaml", "data/*"], "jobs": ["resources/*"]},
    include_package_data=True,
    ext_modules=EXTENSIONS,
    install_requires=[
        "boto3>=1.34",
        "pyahocorasick>=2.1",
        "ahocorasick-rs>=1.0",
        "regex>=2024.4",
        "PyYAML>=6.0",
        "pydantic>=2.6",
        "click>=8.1",
        "rich>=13.7",
        "pyarrow>=15",
        "fastavro>=1.9",
        "pypdf>=4.0",
        "openpyxl>=3.1",
        "zstandard>=0.22",
    ],
    extras_require={
        # On EMR and Glue, Spark and Delta come with the cluster: the wheel does not pin them.
        "spark": ["pyspark>=3.5,<5", "delta-spark>=3.2", "pyarrow>=15", "great-expectations>=1.0"],
        "spark4": SPARK4,
        "spark35": SPARK35,
        "test": TEST,
        "bench": ["presidio-analyzer>=2.2", "detect-secrets>=1.5"],
    },
    entry_points={"console_scripts": ["lakescan=jobs.cli:main"]},
)
