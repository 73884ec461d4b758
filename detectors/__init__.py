"""lakescan detector core: pure Python (no pyspark, no boto3).

    pack = load_pack(selector="RECOMMENDED")
    engine = get_engine(pack, hash_key=b"...")
    engine.detect(text, field_path=("customers", "ssn"))  # -> list[Detection]

See docs/architecture.md (API contract) and docs/rules.md (rule records).
"""
from detectors.engine import Detection, Engine, get_engine
from detectors.pack import (
    RulePack,
    load_allow_list_file,
    load_custom_identifiers,
    load_pack,
    load_rules,
)
from detectors.schema import RuleConfigError

__all__ = [
    "Detection",
    "Engine",
    "RuleConfigError",
    "RulePack",
    "get_engine",
    "load_allow_list_file",
    "load_custom_identifiers",
    "load_pack",
    "load_rules",
]
