"""Posture derivations and policy findings: pure functions, no JVM, no S3."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jobs import posture as P

OWN = "123456789012"
PARTNER = "999988887777"
SISTER = "111122223333"
NOW = datetime(2026, 11, 24, tzinfo=UTC)
ONLY_BLOCK_NEW_POLICIES = {"BlockPublicPolicy": True}  # not "all disabled", and does not neutralise


def stmt(principal, action="s3:GetObject", effect="Allow", condition=None):
    s = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "arn:aws:s3:::b/*"}
    if condition:
        s["Condition"] = condition
    return s


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# ---- bucket policy ---------------------------------------------------------------------------

def test_policy_star_principal_get_object_is_public_read():
    a = P.analyze_policy(policy(stmt("*")))
    assert (a.public_read, a.public_write) == (True, False)
    assert a.accounts == frozenset()


@pytest.mark.parametrize("action,read,write", [
    ("s3:*", True, True), ("*", True, True), ("s3:Put*", False, True), ("s3:List*", True, False),
    ("s3:GetBucketTagging", False, False),
])
def test_policy_action_wildcards_decide_read_and_write(action, read, write):
    a = P.analyze_policy(policy(stmt({"AWS": "*"}, action)))
    assert (a.public_read, a.public_write) == (read, write)


def test_policy_star_pinned_to_source_vpce_is_not_public():
    a = P.analyze_policy(policy(stmt("*", condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}})))
    assert not a.public_read


def test_policy_star_pinned_to_organization_is_shared_internally_not_public():
    a = P.analyze_policy(policy(stmt("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})))
    assert not a.public_read and a.org_shared
    assert P.shared_access(a, P.AclAnalysis(), OWN, ())[0] == P.INTERNAL


def test_policy_if_exists_condition_does_not_restrict():
    a = P.analyze_policy(policy(stmt("*", condition={"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})))
    assert a.public_read


def test_policy_deny_statements_grant_nothing():
    assert P.analyze_policy(policy(stmt("*", "s3:*", effect="Deny"))) == P.analyze_policy(policy())


def test_policy_account_principals_in_arn_and_bare_forms():
    a = P.analyze_policy(policy(stmt({"AWS": [f"arn:aws:iam::{PARTNER}:root", SISTER,
                                              f"arn:aws:iam::{OWN}:role/reader"]})))
    assert a.accounts == {PARTNER, SISTER, OWN}


def test_policy_cloudfront_oac_and_oai():
    oac = P.analyze_policy(policy(stmt({"Service": "cloudfront.amazonaws.com"})))
    oai = P.analyze_policy(policy(stmt(
        {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"})))
    assert oac.cloudfront and oai.cloudfront and not oai.accounts


def test_policy_requiring_sse_header_disallows_unencrypted_uploads():
    deny_missing = stmt("*", "s3:PutObject", "Deny", {"Null": {"s3:x-amz-server-side-encryption": "true"}})
    deny_other = stmt("*", "s3:PutObject", "Deny",
                      {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})
    assert P.analyze_policy(policy(deny_missing)).allows_unencrypted_uploads == "FALSE"
    assert P.analyze_policy(policy(deny_other)).allows_unencrypted_uploads == "FALSE"
    assert P.analyze_policy(policy(stmt("*"))).allows_unencrypted_uploads == "TRUE"
    assert P.analyze_policy(None).allows_unencrypted_uploads == "TRUE"


# ---- ACL -------------------------------------------------------------------------------------

def acl(*grants, owner="owner-id"):
    return {"Owner": {"ID": owner}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner},
                                                 "Permission": "FULL_CONTROL"}, *grants]}


def test_acl_all_users_read_and_authenticated_users_write_are_public():
    a = P.analyze_acl(acl({"Grantee": {"Type": "Group", "URI": P.ALL_USERS}, "Permission": "READ"},
                          {"Grantee": {"Type": "Group", "URI": P.AUTHENTICATED_USERS}, "Permission": "WRITE"}))
    assert (a.public_read, a.public_write) == (True, True)


def test_acl_log_delivery_group_is_neither_public_nor_shared():
    a = P.analyze_acl(acl({"Grantee": {"Type": "Group",
                                       "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
                           "Permission": "WRITE"}))
    assert a == P.AclAnalysis()


def test_acl_other_canonical_user_is_an_external_share():
    a = P.analyze_acl(acl({"Grantee": {"Type": "CanonicalUser", "ID": "other"}, "Permission": "READ"}))
    assert P.shared_access(P.PolicyAnalysis(), a, OWN, ()) == (P.EXTERNAL, ["canonical:other"])


# ---- effective permission and sharing --------------------------------------------------------

PUBLIC_POLICY = P.analyze_policy(policy(stmt("*")))
PUBLIC_ACL = P.analyze_acl(acl({"Grantee": {"Type": "Group", "URI": P.ALL_USERS}, "Permission": "READ"}))
OFF = P.BlockPublicAccess()


@pytest.mark.parametrize("account,bucket,acl_,pol,expected", [
    (OFF, OFF, P.AclAnalysis(), PUBLIC_POLICY, P.PUBLIC),
    (OFF, P.BlockPublicAccess(restrict_public_buckets=True), P.AclAnalysis(), PUBLIC_POLICY, P.NOT_PUBLIC),
    (P.BlockPublicAccess(restrict_public_buckets=True), OFF, P.AclAnalysis(), PUBLIC_POLICY, P.NOT_PUBLIC),
    # BlockPublicPolicy only refuses new public policies; an existing one still applies
    (OFF, P.BlockPublicAccess(block_public_policy=True), P.AclAnalysis(), PUBLIC_POLICY, P.PUBLIC),
    (OFF, OFF, PUBLIC_ACL, P.PolicyAnalysis(), P.PUBLIC),
    (OFF, P.BlockPublicAccess(ignore_public_acls=True), PUBLIC_ACL, P.PolicyAnalysis(), P.NOT_PUBLIC),
    (OFF, OFF, P.AclAnalysis(), P.PolicyAnalysis(), P.NOT_PUBLIC),
    (OFF, OFF, P.AclAnalysis(), None, P.UNKNOWN),                 # policy unreadable
    (None, OFF, P.AclAnalysis(), PUBLIC_POLICY, P.UNKNOWN),       # account BPA unreadable
    (None, P.BlockPublicAccess(restrict_public_buckets=True), P.AclAnalysis(), PUBLIC_POLICY, P.NOT_PUBLIC),
])
def test_effective_permission(account, bucket, acl_, pol, expected):
    assert P.effective_permission(account, bucket, acl_, pol) == expected


def test_shared_access_against_own_accounts():
    to = lambda *accts: P.analyze_policy(policy(stmt({"AWS": list(accts)})))  # noqa: E731
    none = P.AclAnalysis()
    assert P.shared_access(to(OWN), none, OWN, ()) == (P.NOT_SHARED, [])
    assert P.shared_access(to(SISTER), none, OWN, (SISTER,)) == (P.INTERNAL, [SISTER])
    assert P.shared_access(to(SISTER, PARTNER), none, OWN, (SISTER,)) == (P.EXTERNAL, [SISTER, PARTNER])
    assert P.shared_access(None, none, OWN, ())[0] == P.UNKNOWN


def test_replication_to_another_account_is_external_unless_own():
    conf = {"Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dr", "Account": PARTNER}}]}
    assert P.replication_details(conf, OWN, ()) == (True, True, [PARTNER])
    assert P.replication_details(conf, OWN, (PARTNER,)) == (True, False, [PARTNER])
    same = {"Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dr"}}]}
    assert P.replication_details(same, OWN, ()) == (True, False, [])
    assert P.replication_details(None, OWN, ()) == (False, False, [])


def test_encryption_types():
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k-1"}}]}
    assert P.encryption_of(kms) == ("aws:kms", "k-1")
    assert P.encryption_of(None) == ("NONE", None)


# ---- rows and errors -------------------------------------------------------------------------

def raw(bucket="b", **values):
    base = {"location": "us-east-1", "acl": acl(), "policy": None, "bpa": None, "encryption": None,
            "replication": None, "versioning": None, "tags": []}
    base.update(values)
    return P.RawPosture(bucket=bucket, values=base)


def derive(r, own=()):
    return P.derive(r, account_id=OWN, own_accounts=own, account_bpa=OFF)


def test_access_denied_on_a_call_sets_error_code_and_unknowns():
    r = raw()
    del r.values["policy"]
    r.errors["policy"] = "AccessDenied"
    row = derive(r)
    assert row["error_code"] == P.ACCESS_DENIED and "policy" in row["error_message"]
    assert row["effective_permission"] == P.UNKNOWN
    assert row["shared_access"] == P.UNKNOWN
    assert row["allows_unencrypted_object_uploads"] == P.UNKNOWN
    assert P.active_conditions(row) == {}  # an errored row raises no policy finding


def test_unreachable_bucket_row_is_access_denied_with_versioning_false():
    row = derive(P.RawPosture(bucket="b", bucket_error="403"))
    assert (row["error_code"], row["versioning"], row["encryption_type"]) == (P.ACCESS_DENIED, False, P.UNKNOWN)


def test_inventory_row_carries_object_statistics_and_defaults():
    stats = {"b": {**P.EMPTY_STATS, "object_count": 3}}
    rows = P.inventory_rows([raw()], stats, run_id="r", run_date=date(2026, 11, 24), account_id=OWN,
                            own_accounts=(), account_bpa=OFF, captured_at=NOW)
    assert rows[0]["object_count"] == 3 and rows[0]["run_id"] == "r"
    empty = P.inventory_rows([raw("c")], {}, run_id="r", run_date=date(2026, 11, 24), account_id=OWN,
                             own_accounts=(), account_bpa=OFF, captured_at=NOW)
    assert empty[0]["object_count"] == 0


# ---- policy findings -------------------------------------------------------------------------

def inv(run_id, **values):
    bpa = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
           "RestrictPublicBuckets": True}
    enc = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    row = derive(raw(**{"bpa": bpa, "encryption": enc, **values}))
    row.update(run_id=run_id, run_date=date(2026, 11, 24))
    return row


def types(findings):
    return sorted((f["finding_type"], f["trigger"]) for f in findings)


def test_first_inventory_raises_initial_state_findings_for_current_conditions():
    row = inv("r1", bpa=None, policy=policy(stmt({"AWS": PARTNER})))
    assert types(P.policy_findings([row], {}, {}, NOW)) == [
        (P.BPA_DISABLED, P.INITIAL_STATE), (P.SHARED_EXTERNALLY, P.INITIAL_STATE)]


def test_a_locked_down_bucket_raises_nothing():
    assert P.policy_findings([inv("r1")], {}, {}, NOW) == []


def test_unchanged_posture_raises_nothing_on_the_next_run():
    prev = inv("r1", bpa=None)
    assert P.policy_findings([inv("r2", bpa=None)], {"b": prev}, {}, NOW) == []


@pytest.mark.parametrize("change,expected", [
    ({"policy": policy(stmt("*")), "bpa": ONLY_BLOCK_NEW_POLICIES}, P.BUCKET_PUBLIC),
    ({"policy": policy(stmt({"AWS": PARTNER}))}, P.SHARED_EXTERNALLY),
    ({"policy": policy(stmt({"Service": "cloudfront.amazonaws.com"}))}, P.SHARED_WITH_CLOUDFRONT),
    ({"bpa": {"BlockPublicAcls": False}}, P.BPA_DISABLED),
    ({"encryption": None}, P.ENCRYPTION_DISABLED),
    ({"replication": {"Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::x",
                                                                       "Account": PARTNER}}]}},
     P.REPLICATED_EXTERNALLY),
])
def test_each_change_raises_its_finding_with_fixed_severity(change, expected):
    prev = inv("r1")
    out = P.policy_findings([inv("r2", **change)], {"b": prev}, {}, NOW)
    assert [(f["finding_type"], f["trigger"], f["previous_run_id"]) for f in out] == [(expected, P.CHANGED, "r1")]
    assert out[0]["severity"] == P.POLICY_SEVERITY[expected]
    assert out[0]["severity_score"] == {"Low": 1, "Medium": 2, "High": 3}[out[0]["severity"]]


def test_fixed_severities_follow_macie():
    assert P.POLICY_SEVERITY == {
        P.BPA_DISABLED: "High", P.BUCKET_PUBLIC: "High", P.REPLICATED_EXTERNALLY: "High",
        P.SHARED_EXTERNALLY: "High", P.SHARED_WITH_CLOUDFRONT: "Medium", P.ENCRYPTION_DISABLED: "Low"}


def test_kms_reset_to_sse_s3_raises_encryption_disabled():
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    out = P.policy_findings([inv("r2")], {"b": inv("r1", encryption=kms)}, {}, NOW)
    assert types(out) == [(P.ENCRYPTION_DISABLED, P.CHANGED)]


def test_repeat_keeps_the_finding_id_and_bumps_count():
    first = datetime(2026, 11, 1, tzinfo=UTC)
    out = P.policy_findings([inv("r3", policy=policy(stmt("*")), bpa=ONLY_BLOCK_NEW_POLICIES)], {"b": inv("r2")},
                            {("b", P.BUCKET_PUBLIC): (1, first)}, NOW)
    assert out[0]["count"] == 2 and out[0]["created_at"] == first and out[0]["updated_at"] == NOW
    assert out[0]["finding_id"] == P.finding_id(OWN, "b", P.BUCKET_PUBLIC)
