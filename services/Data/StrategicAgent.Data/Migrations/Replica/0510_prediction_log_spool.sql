-- How far each prediction-log spool segment is in ml.ml_prediction_log (docs/reliability.md,
-- "Prediction log"). The prediction service moves a segment's shipped_offset in the same transaction
-- as the segment's rows, so a segment shipped again — by the restarted service, or by another
-- instance adopting a killed one's spool — writes each record once. Rows of deleted segments are
-- removed by the service (a leftover row is harmless: segment names are never reused).
CREATE TABLE IF NOT EXISTS ml.prediction_log_spool (
    segment        text PRIMARY KEY,
    shipped_offset bigint NOT NULL CHECK (shipped_offset >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- sa_ml gets SELECT/INSERT/UPDATE/DELETE on new ml tables through the default privileges of 0400.
