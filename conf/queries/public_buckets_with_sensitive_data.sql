-- Exposed buckets holding sensitive data: public (effective permission) or shared outside the
-- organization, with sensitive objects found in the same run. The first thing to fix.
WITH latest AS (
  SELECT i.*,
         ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY captured_at DESC, run_id DESC) AS rn
  FROM bucket_inventory i
)
SELECT i.bucket,
       CASE WHEN i.effective_permission = 'PUBLIC' THEN 'PUBLIC' ELSE 'SHARED_EXTERNALLY' END AS exposure,
       i.effective_permission,
       i.shared_access,
       i.encryption_type,
       s.sensitivity_score,
       s.label,
       s.objects_sensitive,
       s.detections_total,
       i.run_id,
       i.run_date
FROM latest i
JOIN bucket_scores s ON s.run_id = i.run_id AND s.bucket = i.bucket
WHERE i.rn = 1
  AND (i.effective_permission = 'PUBLIC' OR i.shared_access = 'EXTERNAL')
  AND s.objects_sensitive > 0
ORDER BY s.sensitivity_score DESC, i.bucket
