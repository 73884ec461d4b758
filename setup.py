"""lakescan: find sensitive data in S3 data lakes with Apache Spark."""
from setuptools import find_packages, setup

SPARK_PINS = ["pyspark==4.2.0", "delta-spark==4.4.0"]

setup(
    name="lakescan",
    version="0.1.0",
    description="Self-hosted sensitive-data discovery for S3 data lakes on Apache Spark",
    python_requires=">=3.11",
    packages=find_packages(include=["detectors", "detectors.*", "jobs", "jobs.*"]),
    package_data={"detectors": ["rules/*.yaml", "data/*"], "jobs": ["resources/*"]},
    include_package_data=True,
    install_requires=[
        "boto3>=1.34",
        "pyahocorasick>=2.1",
        "regex>=2024.4",
        "PyYAML>=6.0",
        "pydantic>=2.6",
        "click>=8.1",
        "rich>=13.7",
    ],
    extras_require={
        "spark": SPARK_PINS + ["pyarrow>=15", "great-expectations>=1.0"],
        "test": SPARK_PINS + [
            "pyarrow>=15",
            "great-expectations>=1.0",
            "chispa>=0.10",
            "pytest>=8",
            "pytest-timeout>=2.3",
            "moto[server]>=5.0",
            "ruff>=0.5",
        ],
        "bench": ["presidio-analyzer", "detect-secrets"],
    },
    entry_points={"console_scripts": ["lakescan=jobs.cli:main"]},
)
