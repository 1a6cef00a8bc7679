-- Repeatable (DbUp RunAlways, after every numbered migration): the current definition of this
-- feature view, the only place to change it. CREATE OR REPLACE keeps grants and may only append
-- columns; a change that drops, renames or retypes a column needs a numbered migration that drops
-- the view first (CASCADE reaches dependent views, which their own scripts recreate: the scripts
-- run in file-name order, so a view's dependencies must sort before it).
-- Model: services/Ml/StrategicAgent.Ml/Models/Trajectory (history: migrations 0111, 0114, 0310, 0311).
-- security_invoker: feature reads inside a TenantSession see only the caller's tenant (0200).
CREATE OR REPLACE VIEW ml.trajectory_features WITH (security_invoker = true) AS
WITH epics AS NOT MATERIALIZED (
    SELECT i.id, i.client_id, i.project_id, i.key, i.summary, i.description, i.priority, i.created,
           i.work_last_completed_at, i.total_lead_time_seconds,
           coalesce(i.work_first_started_at, i.created) AS as_of, sm.status_to
    FROM issues i
    JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name = 'Epic'
    LEFT JOIN statuses s ON s.id = i.status_id
    LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.active
), scope AS (
    -- Child points of each completed epic as they stood when it completed (read only for epics
    -- completed before the moment that uses them).
    SELECT c.parent_id, sum(c.story_points) AS points
    FROM issues c
    JOIN issues pe ON pe.id = c.parent_id AND pe.work_last_completed_at IS NOT NULL
    WHERE c.active AND c.story_points > 0 AND c.created <= pe.work_last_completed_at
    GROUP BY c.parent_id
), hist AS (
    SELECT ev.id, ev.client_id, ev.project_id,
           count(ev.log_lead) OVER w_all AS epics_done_before,
           avg(ev.log_lead) OVER w_all   AS mean_log_lead,
           avg(ev.log_days_per_point) OVER w_all AS mean_log_days_per_point,
           sum(ev.points) OVER w_90      AS points_90d,
           sum(ev.log_hours_per_point::numeric) OVER w_90
               / nullif(count(ev.log_hours_per_point) OVER w_90, 0) AS mean_log_hours_per_point_90d
    FROM (
        SELECT e.client_id, e.project_id, e.as_of AS t, 1 AS kind, e.id, NULL::numeric AS points, NULL::float8 AS log_lead,
               NULL::float8 AS log_days_per_point, NULL::float8 AS log_hours_per_point
        FROM epics e
        UNION ALL
        SELECT d.client_id, d.project_id, d.work_last_completed_at, 0, -d.id, d.story_points,
               CASE WHEN dt.original_name = 'Epic' AND d.total_lead_time_seconds > 0 AND d.total_lead_time_seconds < 31536000
                    THEN ln(d.total_lead_time_seconds / 86400.0) END,
               CASE WHEN dt.original_name = 'Epic' AND d.total_lead_time_seconds > 0 AND d.total_lead_time_seconds < 31536000 AND sc.points > 0
                    THEN ln(d.total_lead_time_seconds / 86400.0 / sc.points) END,
               CASE WHEN dt.original_name IN ('Story', 'Task', 'Bug') AND d.story_points > 0 AND d.total_lead_time_seconds > 0
                         AND d.total_lead_time_seconds < 31536000
                    THEN ln(d.total_lead_time_seconds / 3600.0 / d.story_points) END
        FROM issues d
        JOIN issuetypes dt ON dt.id = d.issuetype_id
        LEFT JOIN scope sc ON sc.parent_id = d.id AND dt.original_name = 'Epic'
        WHERE d.active AND d.work_last_completed_at IS NOT NULL
    ) ev
    WINDOW w_all AS (PARTITION BY ev.client_id, ev.project_id ORDER BY ev.t, ev.kind, ev.id ROWS UNBOUNDED PRECEDING),
           w_90  AS (PARTITION BY ev.client_id, ev.project_id ORDER BY ev.t RANGE BETWEEN interval '90 days' PRECEDING AND CURRENT ROW)
)
SELECT e.id                                              AS entity_id,
       e.client_id,
       e.project_id,
       e.key                                             AS issue_key,
       e.as_of,
       (e.status_to = 'Done')                            AS is_done,
       e.work_last_completed_at                          AS label_known_at,
       CASE WHEN e.status_to = 'Done' AND e.total_lead_time_seconds > 0 AND e.total_lead_time_seconds < 31536000
            THEN (e.total_lead_time_seconds / 86400.0)::real END AS label,
       e.project_id::text                                AS project,
       coalesce(nullif(e.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(e.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(e.description), 0)::real          AS description_chars,
       ch.n::real                                        AS children_so_far,
       ch.points::real                                   AS child_points_so_far,
       ch.unpointed::real                                AS unpointed_children_so_far,
       h.epics_done_before::real                         AS project_epics_done_before,
       coalesce(h.mean_log_lead, -1)::real               AS project_log_lead_before,
       coalesce(h.points_90d, 0)::real                   AS project_points_done_90d,
       coalesce(ts.n, 0)::real                           AS team_size,
       (extract(epoch FROM e.as_of - e.created) / 86400.0)::real AS days_created_to_start,
       extract(month FROM e.as_of)::real                 AS start_month,
       coalesce(e.summary, '') || E'\n' || coalesce(left(e.description, 1000), '') AS text,
       h.mean_log_days_per_point::real                   AS project_log_days_per_point_before,
       h.mean_log_hours_per_point_90d::real              AS project_log_hours_per_point_90d
FROM epics e
JOIN hist h ON h.id = e.id AND h.client_id = e.client_id AND h.project_id = e.project_id
LEFT JOIN projects p ON p.id = e.project_id
LEFT JOIN (SELECT u.team_id, count(*) AS n FROM users u WHERE u.active GROUP BY u.team_id) ts ON ts.team_id = p.team_id
LEFT JOIN LATERAL (
    SELECT count(*) AS n, coalesce(sum(c.story_points), 0) AS points,
           count(*) FILTER (WHERE c.story_points IS NULL) AS unpointed
    FROM issues c
    WHERE c.parent_id = e.id AND c.active AND c.created <= e.as_of
) ch ON true;

GRANT SELECT ON ml.trajectory_features TO sa_query;
