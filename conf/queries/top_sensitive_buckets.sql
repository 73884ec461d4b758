-- Top sensitive buckets: each bucket's latest sensitivity score, most sensitive first.
-- Runs unchanged in Spark SQL and Athena (tables registered by `lakescan athena register`).
WITH ranked AS (
  SELECT s.*,
         ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY computed_at DESC, run_id DESC) AS rn
  FROM bucket_scores s
)
SELECT bucket,
       sensitivity_score,
       label,
       objects_sensitive,
       objects_classified,
       objects_in_scope,
       detections_total,
       run_id,
       run_date
FROM ranked
WHERE rn = 1
ORDER BY sensitivity_score DESC, detections_total DESC, bucket
LIMIT 25
