-- Repeatable (DbUp RunAlways, after every numbered migration): the current definition of this
-- feature view, the only place to change it. CREATE OR REPLACE keeps grants and may only append
-- columns; a change that drops, renames or retypes a column needs a numbered migration that drops
-- the view first (CASCADE reaches dependent views, which their own scripts recreate: the scripts
-- run in file-name order, so a view's dependencies must sort before it).
-- Model: services/Ml/StrategicAgent.Ml/Models/Complexity (history: migration 0111).
-- security_invoker: feature reads inside a TenantSession see only the caller's tenant (0200).
-- complexity: story points of Story/Task/Bug from what is known when it is estimated.
CREATE OR REPLACE VIEW ml.complexity_features WITH (security_invoker = true) AS
SELECT w.id                                              AS entity_id,
       w.client_id,
       w.project_id,
       i.key                                             AS issue_key,
       w.created                                         AS label_known_at,
       CASE WHEN i.story_points > 0 AND i.story_points <= 21 THEN i.story_points::real END AS label,
       i.summary || E'\n' || coalesce(left(i.description, 1000), '') AS text,
       it.original_name                                  AS issue_type,
       w.project_id::text                                AS project,
       coalesce(nullif(i.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(i.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(i.description), 0)::real          AS description_chars,
       (i.parent_id IS NOT NULL)::int::real              AS has_epic,
       coalesce(w.prior_mean, -1)::real                  AS project_prior_mean_points,
       w.prior_pointed::real                             AS project_prior_pointed
FROM (
    SELECT x.id, x.client_id, x.project_id, x.created,
           avg(x.story_points) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21) OVER pw AS prior_mean,
           count(*) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21) OVER pw AS prior_pointed
    FROM issues x
    JOIN issuetypes xt ON xt.id = x.issuetype_id AND xt.original_name IN ('Story', 'Task', 'Bug')
    WHERE x.active
    WINDOW pw AS (PARTITION BY x.client_id, x.project_id ORDER BY x.created, x.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
) w
JOIN issues i ON i.id = w.id
JOIN issuetypes it ON it.id = i.issuetype_id;

GRANT SELECT ON ml.complexity_features TO sa_query;
