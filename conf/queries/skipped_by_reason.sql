-- Objects not classified, by Macie reason code, per run and bucket (NOT_SAMPLED = left out by sampling).
SELECT run_date,
       run_id,
       bucket,
       reason,
       COUNT(*) AS objects,
       SUM(size) AS bytes
FROM object_results
WHERE status = 'SKIPPED'
GROUP BY run_date, run_id, bucket, reason
ORDER BY run_date DESC, objects DESC, bucket, reason
