-- Findings by type and severity per run date: sensitive-data findings and policy findings.
SELECT run_date,
       category,
       finding_type,
       severity,
       COUNT(*) AS findings,
       COUNT(DISTINCT bucket) AS buckets
FROM (
  SELECT run_date, category, finding_type, severity, bucket FROM findings
  UNION ALL
  SELECT run_date, category, finding_type, severity, bucket FROM policy_findings
) f
GROUP BY run_date, category, finding_type, severity
ORDER BY run_date, category, finding_type, severity
