-- Indexes the ML feature views read through (replica only: the primary never serves training).
-- Epic history per project: epics completed before a moment, with their lead time.
CREATE INDEX IF NOT EXISTS ix_ml_issues_type_project_completed
    ON issues (issuetype_id, project_id, work_last_completed_at)
    INCLUDE (total_lead_time_seconds)
    WHERE active AND work_last_completed_at IS NOT NULL;
-- Project velocity: story points completed in a window before a moment.
CREATE INDEX IF NOT EXISTS ix_ml_issues_project_completed_points
    ON issues (project_id, work_last_completed_at)
    INCLUDE (story_points)
    WHERE active AND work_last_completed_at IS NOT NULL;
-- Children of an epic as they were at a moment.
CREATE INDEX IF NOT EXISTS ix_ml_issues_parent_created
    ON issues (parent_id, created)
    INCLUDE (story_points)
    WHERE active AND parent_id IS NOT NULL;
-- Per-project ordering of issues (complexity/unified windows) and pointed-issue scans.
CREATE INDEX IF NOT EXISTS ix_ml_issues_client_project_created
    ON issues (client_id, project_id, created, id);
-- A pull request's issue and its first PR.
CREATE INDEX IF NOT EXISTS ix_ml_prs_issue_created
    ON pull_requests (issue_id, created_at, id)
    WHERE active AND issue_id IS NOT NULL;
-- Merged PRs by time (rework training rows, summary).
CREATE INDEX IF NOT EXISTS ix_ml_prs_merged
    ON pull_requests (merged_at)
    WHERE active AND status = 'merged' AND merged_at IS NOT NULL;
-- Previous prediction per key (anomaly features).
CREATE INDEX IF NOT EXISTS ix_ml_prediction_log_key_time
    ON ml.ml_prediction_log (model_name, prediction_key, created_at, id);
