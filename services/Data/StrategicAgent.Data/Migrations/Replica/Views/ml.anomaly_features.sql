-- Repeatable (DbUp RunAlways, after every numbered migration): the current definition of this
-- feature view, the only place to change it. CREATE OR REPLACE keeps grants and may only append
-- columns; a change that drops, renames or retypes a column needs a numbered migration that drops
-- the view first (CASCADE reaches dependent views, which their own scripts recreate: the scripts
-- run in file-name order, so a view's dependencies must sort before it).
-- Model: services/Ml/StrategicAgent.Ml/Models/Anomaly (history: migration 0111). Reads the
-- prediction log: no security_invoker and no grant to sa_query (the ml tables stay invisible to it, 0200).
-- anomaly: the prediction log's monitoring features (raw; standardised per model in C#).
CREATE OR REPLACE VIEW ml.anomaly_features AS
SELECT l.id                                              AS entity_id,
       l.client_id,
       l.model_name,
       l.prediction_key,
       l.created_at                                      AS label_known_at,
       l.prediction_value,
       CASE WHEN l.prediction_key IS NOT NULL
            THEN lag(l.prediction_value) OVER (PARTITION BY l.model_name, l.prediction_key ORDER BY l.created_at, l.id) END AS previous_value,
       l.input_feature_count,
       l.prediction_confidence,
       l.response_time_ms,
       extract(hour FROM l.created_at AT TIME ZONE 'UTC')::int AS hour_of_day,
       extract(dow FROM l.created_at AT TIME ZONE 'UTC')::int  AS day_of_week,
       l.is_anomaly
FROM ml.ml_prediction_log l;
