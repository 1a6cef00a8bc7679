-- Repeatable (DbUp RunAlways, after every numbered migration): the current definition of this
-- feature view, the only place to change it. CREATE OR REPLACE keeps grants and may only append
-- columns; a change that drops, renames or retypes a column needs a numbered migration that drops
-- the view first (CASCADE reaches dependent views, which their own scripts recreate: the scripts
-- run in file-name order, so a view's dependencies must sort before it).
-- Model: services/Ml/StrategicAgent.Ml/Models/Unified (history: migrations 0111, 0113, 0114). Reads ml.rework_features.
-- security_invoker: feature reads inside a TenantSession see only the caller's tenant (0200).
-- unified: done Story/Task/Bug issues with their PR aggregates as of their first PR's opening;
-- three targets: lead time (days), story points, reworked (any merged PR of the issue with the
-- rework label).
CREATE OR REPLACE VIEW ml.unified_features WITH (security_invoker = true) AS
SELECT i.id                                              AS entity_id,
       i.client_id,
       i.project_id,
       i.key                                             AS issue_key,
       fp.created_at                                     AS as_of,
       i.work_last_completed_at                          AS label_known_at,
       CASE WHEN sm.status_to = 'Done' AND i.total_lead_time_seconds > 0 AND i.total_lead_time_seconds < 31536000
            THEN (i.total_lead_time_seconds / 86400.0)::real END AS lead_time_days,
       CASE WHEN i.story_points > 0 AND i.story_points <= 21 THEN i.story_points::real END AS story_points,
       agg.reworked::real                                AS reworked,
       (sm.status_to = 'Done')                           AS is_done,
       it.original_name                                  AS issue_type,
       i.project_id::text                                AS project,
       coalesce(nullif(i.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(i.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(i.description), 0)::real          AS description_chars,
       (i.parent_id IS NOT NULL)::int::real              AS has_epic,
       cf.project_prior_mean_points,
       fp.changed_files::real                            AS first_pr_changed_files,
       (coalesce(fp.additions, 0) + coalesce(fp.deletions, 0))::real AS first_pr_churn,
       (extract(epoch FROM fp.created_at - i.created) / 86400.0)::real AS days_created_to_first_pr,
       rf.author_prior_opened,
       rf.author_prior_merged,
       rf.author_prior_rework_rate
FROM issues i
JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name IN ('Story', 'Task', 'Bug')
LEFT JOIN statuses s ON s.id = i.status_id
LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
JOIN LATERAL (
    SELECT p.id, p.created_at, p.changed_files, p.additions, p.deletions
    FROM pull_requests p
    WHERE p.issue_id = i.id AND p.active
    ORDER BY p.created_at, p.id
    LIMIT 1
) fp ON true
LEFT JOIN LATERAL (
    SELECT max(CASE WHEN (coalesce(p.review_cycles, 0) > 2 OR coalesce(p.rework_commit_count, 0) > 3) THEN 1 ELSE 0 END) AS reworked
    FROM pull_requests p
    WHERE p.issue_id = i.id AND p.active AND p.status = 'merged' AND p.merged_at IS NOT NULL
) agg ON true
JOIN ml.complexity_features cf ON cf.entity_id = i.id AND cf.client_id = i.client_id AND cf.project_id = i.project_id
JOIN ml.rework_features rf ON rf.entity_id = fp.id AND rf.client_id = i.client_id
WHERE i.active;

GRANT SELECT ON ml.unified_features TO sa_query;
