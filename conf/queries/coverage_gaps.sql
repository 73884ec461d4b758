-- Coverage gaps: for each bucket's latest run, what was in scope but not classified, and why
-- (bucket-level errors, unclassifiable storage classes or file types, skipped objects).
WITH latest AS (
  SELECT s.*,
         ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY computed_at DESC, run_id DESC) AS rn
  FROM bucket_scores s
)
SELECT s.bucket,
       s.objects_in_scope,
       s.objects_classified,
       s.objects_in_scope - s.objects_classified AS objects_not_classified,
       CASE WHEN s.objects_in_scope = 0 THEN 100.0
            ELSE ROUND(100.0 * s.objects_classified / s.objects_in_scope, 1) END AS pct_classified,
       s.objects_errored,
       s.bytes_in_scope - s.bytes_classified AS bytes_not_classified,
       i.error_code,
       i.unclassifiable_object_count.storage_class AS unclassifiable_storage_class,
       i.unclassifiable_object_count.file_type AS unclassifiable_file_type,
       s.label,
       s.run_id
FROM latest s
LEFT JOIN bucket_inventory i ON i.run_id = s.run_id AND i.bucket = s.bucket
WHERE s.rn = 1
ORDER BY objects_not_classified DESC, s.bucket
